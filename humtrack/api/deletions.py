"""GET /api/v1/deletions/?resource=…: the records deleted from a resource, for a partner that syncs it.

A sync by `resume` / `updated_since` brings what was created or changed; this brings what is gone.
Same cursor pagination, ordered by (deleted_at, id), with `next` and `resume` links. The tombstones
are written by humtrack.deletions for the resources the apps name.
"""

import django_filters
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from humtrack.deletions import tracked_resources
from humtrack.models import TokenScope, Tombstone

from .filters import SyncFilterSet, UpdatedSinceFilter
from .permissions import has_scope, request_organisation
from .viewsets import JSON, ListMixin, PartnerViewSet

PRIVATE_RESOURCES = {"subscriptions"}  # hold people's addresses: the `alerts` scope and one's own only


class TombstoneSerializer(serializers.ModelSerializer):
    id = serializers.CharField(
        source="object_id", read_only=True, help_text=_("The deleted record's id, as text (a region's p-code).")
    )

    class Meta:
        model = Tombstone
        fields = ["resource", "id", "deleted_at"]
        read_only_fields = fields


class TrackedResources:
    """The `resource` choices, read when iterated: the apps name them in ready(), after this module
    may have been imported. Not a callable, so the schema lists them as an enum."""

    def __iter__(self):
        return iter([(name, name) for name in tracked_resources()])


class DeletionFilterSet(SyncFilterSet):
    resource = django_filters.ChoiceFilter(
        choices=TrackedResources(),
        required=True,
        help_text=_("The resource you sync."),
    )
    updated_since = UpdatedSinceFilter(
        field_name="deleted_at", help_text=_("ISO 8601 date-time: only records deleted at or after it.")
    )

    class Meta:
        model = Tombstone
        fields = ["resource", "updated_since"]


@extend_schema_view(
    list=extend_schema(
        summary="Records deleted from a resource",
        description="Ordered by (deleted_at, id). Delete your copy of each record named; store `resume` as "
        "for the resource itself. Subscriptions need the `alerts` scope and show only your organisation's.",
    )
)
class DeletionViewSet(ListMixin, PartnerViewSet):
    """Tombstones of deleted records, per resource, in sync order."""

    serializer_class = TombstoneSerializer
    filterset_class = DeletionFilterSet
    renderer_classes = JSON
    http_method_names = ["get", "head", "options"]
    cursor_updated_field = "deleted_at"

    def get_queryset(self):
        return Tombstone.objects.all()

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)  # a missing or unknown `resource` is a 400 first
        if self.request.query_params.get("resource") not in PRIVATE_RESOURCES:
            return queryset
        if not has_scope(self.request, TokenScope.ALERTS):
            raise PermissionDenied(gettext("This token lacks the '%(scope)s' scope.") % {"scope": TokenScope.ALERTS})
        organisation = request_organisation(self.request)
        if organisation is None:
            return queryset  # a staff session: ids only, no addresses
        return queryset.filter(organisation=organisation)
