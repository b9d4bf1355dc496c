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
    update_corridor,
    update_outage,
    update_restriction,
)
from humtrack.actor import Actor
from tests.factories import OrganisationFactory, SourceFactory

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
    ended = end_restrictions(
        restrictions=AccessRestriction.objects.all(),
        actor=Actor(),
        ended_at=SEP_1 + timedelta(days=2),
        reason="Lifted",
        source=source,
    )
    assert ended == 1
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
    restored = restore_outages(
        outages=UtilityOutage.objects.all(),
        actor=Actor(organisation=organisation),
        restored_at=SEP_1 + timedelta(days=3),
        reason="Grid repaired",
        source=source,
    )
    assert restored == 1
    open_outage.refresh_from_db()
    closed.refresh_from_db()
    assert open_outage.restored_at == SEP_1 + timedelta(days=3)
    assert closed.restored_at == SEP_1 + timedelta(days=1)
    latest = open_outage.history.first()
    assert latest.history_organisation == organisation
    assert latest.history_change_reason == "Grid repaired"


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


def test_a_corridor_rerouted_between_its_ends_shows_its_new_route_and_why(tree, source):
    corridor = create_corridor(
        actor=Actor(),
        name="Kabul – Bazarak",
        regions=[tree["AF03"], tree["AF0305"], tree["AF0801"]],
        status=CorridorStatus.OPEN,
        source=source,
        confidence=Confidence.REPORTED,
    )
    before = corridor.updated_at
    update_corridor(corridor=corridor, actor=Actor(), regions=[tree["AF03"], tree["AF08"], tree["AF0801"]])
    update_corridor(corridor=corridor, actor=Actor(), reason="Renamed", name="Kabul – Bazarak (Panjshir)")
    corridor.refresh_from_db()
    assert [w.region.pcode for w in corridor.waypoints.all()] == ["AF03", "AF08", "AF0801"]
    assert corridor.updated_at > before  # the route is part of what a partner syncs
    assert [v.history_change_reason for v in corridor.history.all()[:2]] == ["Renamed", "Corridor updated"]


def test_an_update_that_changes_nothing_records_nothing(tree, source):
    restriction = record_restriction(actor=Actor(), **restriction_fields(tree, source))
    versions = restriction.history.count()
    update_restriction(
        restriction=restriction,
        actor=Actor(),
        reason="Checked again",
        severity=Severity.HIGH,
        affected_groups=[AffectedGroupCode.WOMEN_AID_WORKERS],
    )
    assert restriction.history.count() == versions


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


# --- ending a fact keeps the time it happened ---------------------------------------------------

SEP_5 = datetime(2021, 9, 5, 14, 30, tzinfo=UTC)


def internet_cut(tree, source, started_at=SEP_1):
    return record_outage(
        actor=Actor(),
        region=tree["AF08"],
        utility=Utility.INTERNET,
        started_at=started_at,
        source=source,
        confidence=Confidence.CONFIRMED,
    )


def test_a_2021_internet_cut_restored_with_a_past_time_keeps_that_time_the_reason_and_the_source(tree, source):
    cut = internet_cut(tree, source)
    netblocks = SourceFactory(publisher="NetBlocks", title="Connectivity restored in Panjshir")

    restore_outages(
        outages=UtilityOutage.objects.all(),
        actor=Actor(),
        restored_at=SEP_5,
        reason="Mobile internet back in the valley",
        source=netblocks,
    )

    cut.refresh_from_db()
    assert cut.restored_at == SEP_5
    # The end's source becomes the record's; the history keeps the source it was recorded with.
    assert cut.source == netblocks
    latest, recorded = cut.history.all()[:2]
    assert latest.history_change_reason == "Mobile internet back in the valley" and latest.source == netblocks
    assert recorded.source == source


@pytest.mark.parametrize(
    "restored_at, field",
    [
        (lambda: timezone.now() + timedelta(hours=1), "restored_at"),  # not known restored in advance
        (lambda: SEP_1 - timedelta(minutes=1), "restored_at"),  # before the cut began
    ],
)
def test_a_restore_in_the_future_or_before_the_start_is_refused_and_nothing_saved(tree, source, restored_at, field):
    cut = internet_cut(tree, source)
    with pytest.raises(ValidationError) as error:
        restore_outages(
            outages=UtilityOutage.objects.all(), actor=Actor(), restored_at=restored_at(), reason="Back", source=source
        )
    assert field in error.value.message_dict
    cut.refresh_from_db()
    assert cut.restored_at is None and cut.history.count() == 1


def test_one_outage_starting_after_the_restore_time_keeps_every_selected_one_open_and_is_named(tree, source):
    internet_cut(tree, source)
    later = internet_cut(tree, source, started_at=SEP_5 + timedelta(days=1))
    with pytest.raises(ValidationError) as error:
        restore_outages(
            outages=UtilityOutage.objects.all(), actor=Actor(), restored_at=SEP_5, reason="Back", source=source
        )
    assert str(later) in error.value.message_dict["restored_at"][0]
    assert UtilityOutage.objects.filter(restored_at__isnull=True).count() == 2


@pytest.mark.parametrize("missing, field", [({"reason": " "}, "reason"), ({"source": None}, "source")])
def test_an_end_without_a_reason_or_a_source_is_refused(tree, source, missing, field):
    internet_cut(tree, source)
    arguments = {"restored_at": SEP_5, "reason": "Back", "source": source} | missing
    with pytest.raises(ValidationError) as error:
        restore_outages(outages=UtilityOutage.objects.all(), actor=Actor(), **arguments)
    assert field in error.value.message_dict
    assert UtilityOutage.objects.get().restored_at is None


def test_a_restriction_ended_at_a_past_time_keeps_it_and_the_end_cannot_be_in_the_future_or_before_the_start(
    tree, source
):
    restriction = record_restriction(actor=Actor(), **restriction_fields(tree, source))
    for refused in (timezone.now() + timedelta(days=1), SEP_1 - timedelta(days=1)):
        with pytest.raises(ValidationError) as error:
            end_restrictions(
                restrictions=AccessRestriction.objects.all(),
                actor=Actor(),
                ended_at=refused,
                reason="Lifted",
                source=source,
            )
        assert "ended_at" in error.value.message_dict
    restriction.refresh_from_db()
    assert restriction.ends_at is None

    end_restrictions(
        restrictions=AccessRestriction.objects.all(), actor=Actor(), ended_at=SEP_5, reason="Lifted", source=source
    )
    restriction.refresh_from_db()
    assert restriction.ends_at == SEP_5
    assert restriction.history.first().history_change_reason == "Lifted"


def test_an_update_may_announce_a_restrictions_future_end_but_not_an_outages_future_restore(tree, source):
    restriction = record_restriction(actor=Actor(), **restriction_fields(tree, source))
    announced = timezone.now() + timedelta(days=7)
    update_restriction(restriction=restriction, actor=Actor(), ends_at=announced)
    restriction.refresh_from_db()
    assert restriction.ends_at == announced

    cut = internet_cut(tree, source)
    with pytest.raises(ValidationError) as error:
        update_outage(outage=cut, actor=Actor(), restored_at=timezone.now() + timedelta(days=1))
    assert "restored_at" in error.value.message_dict
    cut.refresh_from_db()
    assert cut.restored_at is None
    with pytest.raises(ValidationError) as error:
        record_outage(
            actor=Actor(),
            region=tree["AF08"],
            utility=Utility.WATER,
            started_at=SEP_1,
            restored_at=timezone.now() + timedelta(days=1),
            source=source,
            confidence=Confidence.REPORTED,
        )
    assert "restored_at" in error.value.message_dict
