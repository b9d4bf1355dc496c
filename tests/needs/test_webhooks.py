"""Need figures' webhook events: one per created or changed figure (the bulk upsert too), none for the
unchanged, each carrying the figure as GET /api/v1/needs/{id}/ shows it."""

from datetime import date

import pytest

from access.alerts.webhooks.models import WebhookEvent
from access.choices import Confidence
from humtrack.actor import Actor
from needs.models import NeedFigure
from needs.services import record_need_figure, update_need_figure

from .api.test_views import bulk_row

pytestmark = pytest.mark.django_db


def events():
    return [(e.event_type, e.payload["data"]["id"]) for e in WebhookEvent.objects.order_by("id")]


def test_a_figure_recorded_then_changed_writes_created_then_updated_with_the_figure_as_get_shows_it(
    tree, source, reader
):
    figure = record_need_figure(
        actor=Actor(), region=tree["AF0801"], sector="FSC", period_start=date(2021, 1, 1),
        period_end=date(2021, 12, 31), source=source, confidence=Confidence.REPORTED, people_in_need=1000,
    )  # fmt: skip
    created = WebhookEvent.objects.get(event_type="need_figure.created")
    assert created.payload["data"] == reader.get(f"/api/v1/needs/{figure.pk}/").json()

    update_need_figure(figure=figure, actor=Actor(), people_in_need=1000)  # no change
    update_need_figure(figure=figure, actor=Actor(), reached=1200)
    updated = WebhookEvent.objects.get(event_type="need_figure.updated")
    assert updated.payload["data"] == reader.get(f"/api/v1/needs/{figure.pk}/").json()
    assert updated.payload["data"]["warnings"] == ["reached_exceeds_people_in_need"]
    assert events() == [("need_figure.created", figure.pk), ("need_figure.updated", figure.pk)]


def test_a_bulk_upload_writes_one_event_per_created_and_changed_figure_and_none_for_the_unchanged(
    writer, reader, tree, source
):
    rows = [bulk_row("AF0801", source=source), bulk_row("AF0806", source=source, targeted=2000, notes="Winter")]
    assert writer.post("/api/v1/needs/bulk/", {"rows": rows}).status_code == 200
    again = [bulk_row("AF0801", source=source, people_in_need=1500), rows[1], bulk_row("AF0305", source=source)]
    assert writer.post("/api/v1/needs/bulk/", {"rows": again}).json()["unchanged"] == 1

    ids = {figure.region.pcode: figure.pk for figure in NeedFigure.objects.select_related("region")}
    assert events() == [
        ("need_figure.created", ids["AF0801"]),
        ("need_figure.created", ids["AF0806"]),
        ("need_figure.created", ids["AF0305"]),
        ("need_figure.updated", ids["AF0801"]),
    ]
    changed = WebhookEvent.objects.get(event_type="need_figure.updated")
    assert changed.payload["data"]["people_in_need"] == 1500
    # Each payload is the figure as GET shows it now (AF0801's first one: as it was before the change).
    latest = {event.payload["data"]["id"]: event.payload["data"] for event in WebhookEvent.objects.order_by("id")}
    for pk, data in latest.items():
        assert data == reader.get(f"/api/v1/needs/{pk}/").json()
    assert WebhookEvent.objects.first().payload["data"]["people_in_need"] == 1000
