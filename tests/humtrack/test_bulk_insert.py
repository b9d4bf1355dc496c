from datetime import date

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from access.models import WebhookEvent
from humtrack.bulk_insert import insert_new
from needs.models import NeedFigure
from tests.factories import NeedFigureFactory, OrganisationFactory, SourceFactory

pytestmark = pytest.mark.django_db


def unsaved(tree, source, organisation) -> list[NeedFigure]:
    return [
        NeedFigure(
            region=tree["AF0801"], sector="FSC", people_in_need=1200, targeted=None, reached=0,
            period_start=date(2021, 9, 1), period_end=date(2021, 9, 30), source=source, confidence="claimed",
            notes="Two valleys cut off\tand a tab, a backslash \\ and\na line break", organisation=organisation,
        ),
        NeedFigure(
            region=tree["AF0806"], sector="HEA", is_urgent=True, period_start=date(2021, 9, 1),
            period_end=date(2021, 9, 30), source=source, confidence="reported",
        ),
    ]  # fmt: skip


def stored() -> list[dict]:
    """Every column but the id, in insertion order."""
    columns = [f.attname for f in NeedFigure._meta.concrete_fields if f.attname != "id"]
    return list(NeedFigure.objects.order_by("id").values(*columns))


def test_inserted_rows_are_those_bulk_create_writes_with_their_ids_set(tree):
    source, organisation, now = SourceFactory(), OrganisationFactory(), timezone.now()
    figures = unsaved(tree, source, organisation)

    insert_new(NeedFigure, figures, now=now)

    assert [f.pk for f in figures] == [f.pk for f in NeedFigure.objects.order_by("id")]
    assert all(f.created_at == f.updated_at == now and not f._state.adding for f in figures)
    copied = stored()
    NeedFigure.objects.all().delete()
    expected = unsaved(tree, source, organisation)
    NeedFigure.objects.bulk_create(expected)
    NeedFigure.objects.update(created_at=now, updated_at=now)
    assert copied == stored()


def test_ids_come_from_the_sequence_so_a_later_save_takes_the_next(tree):
    source = SourceFactory()
    figures = unsaved(tree, source, None)
    insert_new(NeedFigure, figures, now=timezone.now())

    later = NeedFigureFactory(region=tree["AF03"])

    assert later.pk > max(f.pk for f in figures)
    assert NeedFigure.objects.count() == 3


def test_nothing_to_insert_sends_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        insert_new(NeedFigure, [], now=timezone.now())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="other databases take bulk_create, which prepares all")
def test_a_field_that_needs_preparing_is_refused_not_written_raw():
    event = WebhookEvent(event_type="need_figure.created", occurred_at=timezone.now(), payload={"a": 1})

    with pytest.raises(ImproperlyConfigured, match="payload"):
        insert_new(WebhookEvent, [event], now=timezone.now())
    assert not WebhookEvent.objects.exists()
