"""Restrictions, outages, corridors and sources: validation everywhere, nothing saved on bad input."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from access.choices import (
    AffectedGroupCode,
    Confidence,
    ConstraintCategory,
    CorridorStatus,
    Severity,
    SourceKind,
    Utility,
)
from access.models import AccessRestriction, AffectedGroup, AidCorridor, CorridorStatusChange, Source, UtilityOutage
from access.services import (
    change_corridor_status,
    create_corridor,
    create_source,
    end_restrictions,
    record_outage,
    record_restriction,
    restore_outages,
    update_outage,
)
from humtrack.actor import Actor
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

SEP_1 = datetime(2021, 9, 1, tzinfo=UTC)


def restriction_fields(tree, source, **overrides):
    return {
        "region": tree["AF08"],
        "category": ConstraintCategory.MOVEMENT_RESTRICTIONS,
        "severity": Severity.HIGH,
        "affected_groups": [AffectedGroupCode.WOMEN_AID_WORKERS],
        "starts_at": SEP_1,
        "source": source,
        "confidence": Confidence.REPORTED,
    } | overrides


def test_a_restriction_records_who_it_affects_and_is_active_while_it_has_no_end(tree, source):
    restriction = record_restriction(actor=Actor(), **restriction_fields(tree, source))
    assert restriction.is_active
    assert [g.code for g in restriction.affected_groups.all()] == ["women_aid_workers"]
    assert end_restrictions(restrictions=AccessRestriction.objects.all(), actor=Actor()) == 1
    restriction.refresh_from_db()
    assert not restriction.is_active


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"ends_at": SEP_1 - timedelta(days=1)}, "ends_at"),
        ({"category": "bad_weather"}, "category"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"confidence": "sure"}, "confidence"),
        ({"affected_groups": ["cats"]}, "affected_groups"),
        ({"affected_groups": []}, "affected_groups"),
    ],
)
def test_a_bad_restriction_is_refused_and_nothing_saved(tree, source, overrides, field):
    with pytest.raises(ValidationError) as error:
        record_restriction(actor=Actor(), **restriction_fields(tree, source, **overrides))
    assert field in error.value.message_dict
    assert not AccessRestriction.objects.exists()


def test_an_outage_cannot_be_restored_before_it_started(tree, source):
    with pytest.raises(ValidationError) as error:
        record_outage(
            actor=Actor(),
            region=tree["AF08"],
            utility=Utility.ELECTRICITY,
            started_at=SEP_1,
            restored_at=SEP_1 - timedelta(hours=1),
            source=source,
            confidence=Confidence.REPORTED,
        )
    assert "restored_at" in error.value.message_dict
    assert not UtilityOutage.objects.exists()


def test_an_update_that_breaks_a_rule_changes_nothing(tree, source):
    outage = record_outage(
        actor=Actor(),
        region=tree["AF08"],
        utility=Utility.INTERNET,
        started_at=SEP_1,
        source=source,
        confidence=Confidence.REPORTED,
    )
    with pytest.raises(ValidationError):
        update_outage(outage=outage, actor=Actor(), restored_at=SEP_1 - timedelta(days=3))
    outage.refresh_from_db()
    assert outage.restored_at is None


def test_restoring_outages_touches_only_open_ones_and_records_who(tree, source):
    organisation = OrganisationFactory()
    open_outage = record_outage(
        actor=Actor(),
        region=tree["AF08"],
        utility=Utility.ELECTRICITY,
        started_at=SEP_1,
        source=source,
        confidence=Confidence.REPORTED,
    )
    closed = record_outage(
        actor=Actor(),
        region=tree["AF08"],
        utility=Utility.WATER,
        started_at=SEP_1,
        restored_at=SEP_1 + timedelta(days=1),
        source=source,
        confidence=Confidence.REPORTED,
    )
    restored = restore_outages(outages=UtilityOutage.objects.all(), actor=Actor(organisation=organisation))
    assert restored == 1
    open_outage.refresh_from_db()
    closed.refresh_from_db()
    assert open_outage.restored_at is not None
    assert closed.restored_at == SEP_1 + timedelta(days=1)
    latest = open_outage.history.first()
    assert latest.history_organisation == organisation
    assert latest.history_change_reason == "Marked restored"


def test_a_corridor_runs_through_its_regions_in_order_with_a_status_history(tree, source):
    corridor = create_corridor(
        actor=Actor(),
        name="Kabul – Bazarak",
        regions=[tree["AF03"], tree["AF0305"], tree["AF0801"]],
        status=CorridorStatus.OPEN,
        source=source,
        confidence=Confidence.REPORTED,
    )
    assert [w.region.pcode for w in corridor.waypoints.all()] == ["AF03", "AF0305", "AF0801"]
    assert (corridor.origin, corridor.destination) == (tree["AF03"], tree["AF0801"])

    closed = change_corridor_status(
        corridor=corridor,
        status=CorridorStatus.CLOSED,
        reason="Fighting",
        source=source,
        confidence=Confidence.REPORTED,
        actor=Actor(),
    )
    assert closed.from_status == CorridorStatus.OPEN
    assert (
        change_corridor_status(
            corridor=corridor,
            status=CorridorStatus.CLOSED,
            reason="Still",
            source=source,
            confidence=Confidence.REPORTED,
            actor=Actor(),
        )
        is None
    )
    corridor.refresh_from_db()
    assert corridor.status == CorridorStatus.CLOSED
    assert CorridorStatusChange.objects.filter(corridor=corridor).count() == 2


def test_a_corridor_needs_two_distinct_ends(tree, source):
    with pytest.raises(ValidationError):
        create_corridor(
            actor=Actor(),
            name="Nowhere",
            regions=[tree["AF08"]],
            status=CorridorStatus.OPEN,
            source=source,
            confidence=Confidence.REPORTED,
        )
    with pytest.raises(ValidationError) as error:
        change_corridor_status(
            corridor=AidCorridor(pk=0), status="ajar", reason="", source=source, confidence="x", actor=Actor()
        )
    assert {"status", "reason", "confidence"} <= set(error.value.message_dict)
    assert not AidCorridor.objects.exists()


def test_a_source_needs_a_known_kind_and_a_valid_url():
    with pytest.raises(ValidationError) as error:
        create_source(actor=Actor(), publisher="X", title="Y", kind="rumour", url="not a url")
    assert {"kind", "url"} <= set(error.value.message_dict)
    source = create_source(
        actor=Actor(),
        publisher="OCHA",
        title="Flash update",
        kind=SourceKind.AGENCY_REPORT,
        published_at=timezone.now(),
    )
    assert Source.objects.get() == source and source.reliability == "F"


def test_a_restriction_affects_its_groups_even_when_the_seeded_rows_are_gone(tree, source):
    """A flushed database (a restore, a transactional test) has no seeded AffectedGroup rows."""
    AffectedGroup.objects.all().delete()
    restriction = record_restriction(actor=Actor(), **restriction_fields(tree, source))
    assert [g.code for g in restriction.affected_groups.all()] == ["women_aid_workers"]
