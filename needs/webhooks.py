"""Need figures' webhook events (need_figure.created, need_figure.updated), written with the figures.

The payload is the figure as GET /api/v1/need-figures/{id}/ shows it (the API's NeedFigureSerializer);
the outbox itself is access's (access/alerts/webhooks/events.py), which may not import needs.
"""

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from access.alerts.webhooks.choices import WebhookEventType
from access.alerts.webhooks.events import Announcement, record_webhook_events
from needs.api.serializers import NeedFigureSerializer
from needs.models import NeedFigure
from needs.selectors import need_figures


def need_figure_payloads(pks: Iterable[int]) -> dict[int, dict[str, Any]]:
    stored = need_figures().in_bulk(list(pks))
    return {pk: dict(NeedFigureSerializer(figure).data) for pk, figure in stored.items()}


def announce_need_figures(*, created: Iterable[NeedFigure] = (), updated: Iterable[NeedFigure] = ()) -> int:
    """One event per created and per changed figure, in the caller's transaction, in a few queries."""
    kinds = [(figure.pk, WebhookEventType.NEED_FIGURE_CREATED) for figure in created]
    kinds += [(figure.pk, WebhookEventType.NEED_FIGURE_UPDATED) for figure in updated]
    if not kinds:
        return 0
    payloads = need_figure_payloads(pk for pk, _ in kinds)
    now = timezone.now()
    return record_webhook_events(Announcement(event_type, payloads[pk], now) for pk, event_type in kinds)
