"""The save funnel every service writes through, and the update of given fields (humtrack.services)."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from access.choices import (
    AccessStatus,
    AffectedGroupCode,
    Confidence,
    ConstraintCategory,
    OutageExtent,
    Severity,
    Utility,
)
from access.models import AffectedGroup, StatusChange, UtilityOutage
from access.services import change_access_status, record_outage, record_restriction
from humtrack.actor import SYSTEM, Actor
from humtrack.services import NOT_GIVEN, model_update
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

LONE_SURROGATE = "cut at \ud800 the substation"  # what JSON's "\ud800" decodes to


def test_text_with_a_lone_surrogate_is_the_fields_error_and_nothing_is_saved(tree, source):
    with pytest.raises(ValidationError) as refused:
        record_outage(
            actor=SYSTEM,
            region=tree["AF08"],
            utility=Utility.ELECTRICITY,
            started_at=datetime(2021, 9, 1, tzinfo=UTC),
            cause_detail=LONE_SURROGATE,
            source=source,
            confidence=Confidence.REPORTED,
        )
    assert "cause_detail" in refused.value.message_dict
    assert not UtilityOutage.objects.exists()


def test_a_status_change_reason_with_a_lone_surrogate_is_refused_naming_it(tree, source):
    with pytest.raises(ValidationError) as refused:
        change_access_status(
            region=tree["AF08"],
            status=AccessStatus.INACCESSIBLE,
            reason=LONE_SURROGATE,
            source=source,
            confidence=Confidence.REPORTED,
            actor=SYSTEM,
        )
    assert "reason" in refused.value.message_dict
    assert not StatusChange.objects.exists()


# --- model_update: the one way an update service sets the fields it was given ---------------------


def internet_cut(tree, source):
    return record_outage(
        actor=SYSTEM,
        region=tree["AF08"],
        utility=Utility.INTERNET,
        started_at=datetime(2021, 9, 1, tzinfo=UTC),
        source=source,
        confidence=Confidence.REPORTED,
    )


def test_model_update_sets_only_the_given_fields_and_records_why(tree, source):
    cut = internet_cut(tree, source)
    changed = model_update(
        instance=cut,
        data={"extent": OutageExtent.PARTIAL, "cause_detail": NOT_GIVEN, "restored_at": NOT_GIVEN},
        actor=Actor(organisation=OrganisationFactory(name="Logistics Cluster")),
        reason="Partly back",
    )
    assert changed
    cut.refresh_from_db()
    assert (cut.extent, cut.cause_detail, cut.restored_at) == (OutageExtent.PARTIAL, "", None)
    latest = cut.history.first()
    assert latest.history_change_reason == "Partly back" and latest.history_organisation.name == "Logistics Cluster"


def test_model_update_that_changes_nothing_writes_nothing(tree, source, django_assert_num_queries):
    cut = internet_cut(tree, source)
    versions, updated_at = cut.history.count(), cut.updated_at
    with django_assert_num_queries(0):  # a relation is compared by its key, not read
        changed = model_update(
            instance=cut,
            data={"region": tree["AF08"], "source": source, "utility": Utility.INTERNET},
            actor=SYSTEM,
            reason="Same again",
        )
    assert not changed
    cut.refresh_from_db()
    assert cut.history.count() == versions and cut.updated_at == updated_at


def test_model_update_refuses_what_the_models_rules_refuse(tree, source):
    cut = internet_cut(tree, source)
    with pytest.raises(ValidationError) as refused:
        model_update(instance=cut, data={"utility": "telepathy"}, actor=SYSTEM, reason="")
    assert "utility" in refused.value.message_dict
    cut.refresh_from_db()
    assert cut.utility == Utility.INTERNET


def test_model_update_sets_a_many_to_many_field_by_its_members(tree, source):
    restriction = record_restriction(
        actor=SYSTEM,
        region=tree["AF08"],
        category=ConstraintCategory.MOVEMENT_RESTRICTIONS,
        severity=Severity.HIGH,
        affected_groups=[AffectedGroupCode.WOMEN_AID_WORKERS],
        starts_at=datetime(2021, 9, 1, tzinfo=UTC),
        source=source,
        confidence=Confidence.REPORTED,
    )
    women = list(restriction.affected_groups.all())
    assert not model_update(instance=restriction, data={"affected_groups": women}, actor=SYSTEM, reason="")
    before = restriction.updated_at
    everyone = list(AffectedGroup.objects.filter(code=AffectedGroupCode.ALL_AID_WORKERS))
    assert model_update(instance=restriction, data={"affected_groups": everyone}, actor=SYSTEM, reason="Widened")
    restriction.refresh_from_db()
    assert [group.code for group in restriction.affected_groups.all()] == [AffectedGroupCode.ALL_AID_WORKERS]
    assert restriction.updated_at > before  # what it shows changed: a syncing partner must see it
