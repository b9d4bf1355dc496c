"""Need figures' webhook events (need_figure.created, need_figure.updated), written with the figures.

The payload is the figure as GET /api/v1/needs/{id}/ shows it. One figure at a time goes through the
API's NeedFigureSerializer; a bulk upload's thousands are built from the figures in hand by
`figure_items`, the same keys and formats (tests/needs/test_webhooks.py checks both against GET): the
serializer took 150 µs a figure, more than the upload's own writes. The outbox itself is access's
(access/alerts/webhooks/events.py), which may not import needs.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from access.alerts.webhooks.choices import WebhookEventType
from access.alerts.webhooks.events import Announcement, record_webhook_events
from access.api.serializers import hierarchy_of
from access.models import Region
from humtrack.models import Organisation
from needs.api.serializers import NEED_FIGURE_FIELDS, NeedFigureSerializer
from needs.models import NeedFigure
from needs.selectors import figure_warnings, need_figures

_DATE = serializers.DateField()
_DATETIME = serializers.DateTimeField()


def need_figure_payload(figure: NeedFigure) -> dict[str, Any]:
    return dict(NeedFigureSerializer(need_figures().get(pk=figure.pk)).data)


def figure_items(figures: list[NeedFigure]) -> list[dict[str, Any]]:
    """Saved figures as the API shows them, in two queries (their regions, their organisations)."""
    regions = {pk: (pcode, path) for pk, pcode, path in Region.objects.filter(
        pk__in={figure.region_id for figure in figures}).values_list("pk", "pcode", "path")}  # fmt: skip
    names = dict(Organisation.objects.filter(
        pk__in={figure.organisation_id for figure in figures}).values_list("pk", "name"))  # fmt: skip
    hierarchies = {pk: hierarchy_of(path) for pk, (_, path) in regions.items()}
    # An upload's figures share a few periods and one or two moments: each is formatted once, the
    # serializer's way (DRF's fields, so the formats cannot drift from GET's).
    dates = _Formatted(_DATE.to_representation)
    moments = _Formatted(_DATETIME.to_representation)
    items = []
    for figure in figures:
        item = {
            "id": figure.pk,
            "region": regions[figure.region_id][0],
            "region_hierarchy": list(hierarchies[figure.region_id]),
            "sector": figure.sector,
            "people_in_need": figure.people_in_need,
            "targeted": figure.targeted,
            "reached": figure.reached,
            "warnings": figure_warnings(
                people_in_need=figure.people_in_need, targeted=figure.targeted, reached=figure.reached
            ),
            "period_start": dates[figure.period_start],
            "period_end": dates[figure.period_end],
            "is_urgent": figure.is_urgent,
            "notes": figure.notes,
            "source": figure.source_id,
            "confidence": figure.confidence,
            "organisation": names.get(figure.organisation_id) if figure.organisation_id else None,
            "created_at": moments[figure.created_at],
            "updated_at": moments[figure.updated_at],
        }
        items.append({key: item[key] for key in NEED_FIGURE_FIELDS})
    return items


class _Formatted(dict[Any, str]):
    """value → its representation, computed at the first lookup of each value."""

    def __init__(self, represent: Callable[[Any], str]) -> None:
        super().__init__()
        self.represent = represent

    def __missing__(self, value: Any) -> str:
        self[value] = text = self.represent(value)
        return text


def announce_need_figures(*, created: Iterable[NeedFigure] = (), updated: Iterable[NeedFigure] = ()) -> int:
    """One event per created and per changed figure (as saved, with their ids), in the caller's transaction."""
    kinds = [(figure, WebhookEventType.NEED_FIGURE_CREATED) for figure in created]
    kinds += [(figure, WebhookEventType.NEED_FIGURE_UPDATED) for figure in updated]
    if not kinds:
        return 0
    now = timezone.now()
    if len(kinds) == 1:
        [(figure, event_type)] = kinds
        return record_webhook_events([Announcement(event_type, need_figure_payload(figure), now)])
    items = figure_items([figure for figure, _ in kinds])
    return record_webhook_events(
        Announcement(event_type, item, now) for (_, event_type), item in zip(kinds, items, strict=True)
    )
