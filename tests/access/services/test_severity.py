"""access/services/severity.py: a coordinator's override of a month's severity indicator is set with its reason
and source in their own regions only, set again as the same override with its history, and cleared."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from access.choices import Confidence, ConstraintCategory
from access.models import SeverityOverride
from access.services.severity import clear_severity_override, set_severity_override
from humtrack.actor import Actor
from tests.factories import make_coordinator

SEPTEMBER = date(2021, 9, 1)


@pytest.fixture
def panjsher_coordinator(tree):
    return Actor(user=make_coordinator(tree["AF08"], username="panjsher-coordinator"))


def override(actor, region, source, **changes):
    fields = dict(
        actor=actor,
        region=region,
        month=SEPTEMBER,
        indicator=ConstraintCategory.HOSTILITIES,
        score=3,
        reason="Fighting in every district of the valley.",
        source=source,
        confidence=Confidence.CONFIRMED,
    )
    return set_severity_override(**(fields | changes))


def test_setting_again_changes_the_one_override_and_keeps_its_history(panjsher_coordinator, tree, source):
    first = override(panjsher_coordinator, tree["AF0801"], source)
    again = override(panjsher_coordinator, tree["AF0801"], source, score=None, reason="  The report was retracted. ")
    assert again.pk == first.pk and SeverityOverride.objects.count() == 1
    assert (again.score, again.reason) == (None, "The report was retracted.")
    versions = list(again.history.order_by("history_id"))
    assert [v.score for v in versions] == [3, None]
    assert versions[-1].history_user == panjsher_coordinator.user
    assert versions[-1].history_change_reason == "The report was retracted."


def test_only_the_regions_coordinators_override_it(panjsher_coordinator, tree, source):
    with pytest.raises(PermissionDenied):
        override(panjsher_coordinator, tree["AF0305"], source)
    assert not SeverityOverride.objects.exists()


def test_a_month_not_given_by_its_first_day_a_score_above_3_and_no_reason_are_refused(
    panjsher_coordinator, tree, source
):
    for changes, field in [
        ({"month": date(2021, 9, 15)}, "month"),
        ({"score": 4}, "score"),
        ({"reason": "   "}, "reason"),
    ]:
        with pytest.raises(ValidationError) as refused:
            override(panjsher_coordinator, tree["AF0801"], source, **changes)
        assert field in refused.value.message_dict, changes
    assert not SeverityOverride.objects.exists()


def test_clearing_removes_it_with_who_and_why_in_its_history(panjsher_coordinator, tree, source):
    stored = override(panjsher_coordinator, tree["AF0801"], source)
    clear_severity_override(actor=panjsher_coordinator, override=stored, reason="The evidence speaks for itself.")
    assert not SeverityOverride.objects.exists()
    removal = SeverityOverride.history.get(history_type="-")
    assert (removal.history_user, removal.history_change_reason) == (
        panjsher_coordinator.user,
        "The evidence speaks for itself.",
    )


def test_clearing_another_provinces_override_is_refused(panjsher_coordinator, tree, source):
    theirs = override(Actor(user=make_coordinator(tree["AF03"], username="parwan")), tree["AF0305"], source)
    with pytest.raises(PermissionDenied):
        clear_severity_override(actor=panjsher_coordinator, override=theirs)
    assert SeverityOverride.objects.filter(pk=theirs.pk).exists()
