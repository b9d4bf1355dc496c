"""Sources: the reports, statements and messages that facts cite (HXL #meta+source)."""

from access import services
from access.selectors.facts import sources_listed
from humtrack.api.renderers import CsvColumn

from .. import filters, serializers
from .records import RecordViewSet


class SourceViewSet(RecordViewSet):
    """Where facts come from. A partner may cite any source and change the ones it recorded."""

    serializer_class = serializers.SourceSerializer
    write_serializer_class = serializers.SourceWriteSerializer
    filterset_class = filters.SourceFilterSet
    csv_columns = [
        CsvColumn("id", "#meta+id", "id"),
        CsvColumn("publisher", "#org+publisher", "publisher"),
        CsvColumn("title", "#meta+title", "title"),
        CsvColumn("url", "#meta+url", "url"),
        CsvColumn("published_at", "#date+published", "published_at"),
        CsvColumn("kind", "#meta+kind", "kind"),
        CsvColumn("reliability", "#meta+reliability", "reliability"),
        CsvColumn("organisation", "#org+reporting", "organisation"),
        CsvColumn("updated_at", "#date+updated", "updated_at"),
    ]

    def get_queryset(self):
        return sources_listed()

    def create_record(self, data):
        return services.create_source(actor=self.actor, **data)

    def update_record(self, source, data):
        return services.update_source(source=source, actor=self.actor, **data)
