"""Audit history written in bulk: the rows copied by the database are the rows simple-history writes."""

from datetime import date

import pytest
from django.utils import timezone

from humtrack.actor import Actor
from humtrack.history import copy_to_history, stamp
from needs.models import NeedFigure
from tests.factories import NeedFigureFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

REASON = "Bulk upload of the  cluster's\nfigures " + "x" * 120  # spaces folded and cut to 100, as stamp() does


def history_rows() -> list[dict]:
    """Every column but history_id (a sequence), one dict per row."""
    columns = [f.attname for f in NeedFigure.history.model._meta.concrete_fields if f.attname != "history_id"]
    return list(NeedFigure.history.order_by("id").values(*columns))


@pytest.mark.parametrize("history_type", ["+", "~"])
@pytest.mark.parametrize("with_user", [True, False])
def test_copied_history_rows_are_those_bulk_history_create_writes(tree, history_type, with_user):
    NeedFigureFactory(region=tree["AF0801"], people_in_need=1200, targeted=None, notes="Two valleys cut off")
    NeedFigureFactory(region=tree["AF0806"], sector="HEA", is_urgent=True, period_end=date(2021, 6, 30))
    NeedFigureFactory(region=tree["AF08"], reached=0)
    figures = list(NeedFigure.objects.order_by("pk"))
    actor = Actor(user=UserFactory() if with_user else None, organisation=OrganisationFactory())
    now = timezone.now()
    NeedFigure.history.all().delete()  # the factories' own saves

    # batch_size 2: three figures take two statements
    copy_to_history(
        NeedFigure, [f.pk for f in figures], history_type=history_type, actor=actor, reason=REASON, date=now,
        batch_size=2,
    )  # fmt: skip
    copied = history_rows()
    NeedFigure.history.all().delete()
    for figure in figures:
        stamp(figure, actor, REASON)
    NeedFigure.history.bulk_history_create(
        figures,
        update=history_type == "~",
        default_user=actor.user,
        default_date=now,
        custom_historical_attrs={"history_organisation": actor.organisation},
    )

    assert len(copied) == 3
    assert copied == history_rows()
