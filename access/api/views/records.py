"""What the access resources that partners record share: the four verbs and the sourced CSV columns."""

from humtrack.api.renderers import CsvColumn
from humtrack.api.viewsets import CreateMixin, ListMixin, RetrieveMixin, UpdateMixin

from ..permissions import RegionScopedViewSet

# The columns every sourced fact ends with: where it comes from, how sure, who recorded it, when.
SOURCED = [
    CsvColumn("source", "#meta+source+id", "source"),
    CsvColumn("confidence", "#meta+confidence", "confidence"),
    CsvColumn("organisation", "#org+reporting", "organisation"),
    CsvColumn("updated_at", "#date+updated", "updated_at"),
]


class RecordViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, RegionScopedViewSet):
    """List, read, create and update, never delete: a record that no longer holds is ended or restored
    (its history stays). Subclasses implement create_record(data) and update_record(instance, data)."""

    http_method_names = ["get", "post", "put", "patch", "head", "options"]
