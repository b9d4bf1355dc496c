"""Issue 11 §4: a partner syncing with `resume` (and the deletion feed) holds what a full read gives.

Each test moves the clock forward before a sync (tests.syncing.Clock), so the 30-second settle
window of `resume` never re-delivers a row by chance: what reaches the partner reaches it because
the row was changed or touched.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from access.choices import AccessStatus, AffectedGroupCode, Confidence, ConstraintCategory, Severity, Utility
from access.models import AccessRestriction, Subscription, UtilityOutage
from access.services import (
    change_access_status,
    end_restrictions,
    record_outage,
    record_restriction,
    restore_outages,
    update_outage,
    update_source,
)
from humtrack.actor import SYSTEM
from humtrack.celery import app
from humtrack.models import Tombstone
from tests.factories import UserFactory
from tests.partners import client_for, issue_token
from tests.syncing import Clock, SyncingPartner

pytestmark = pytest.mark.django_db

SEP_1 = datetime(2021, 9, 1, tzinfo=UTC)
TASK = "access.touch_facts_whose_time_came"


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def partner_client(db):
    return client_for(issue_token("Logistics Cluster", ["read", "write", "alerts"]))


def restriction(region, source, **fields):
    fields = {
        "category": ConstraintCategory.MOVEMENT_RESTRICTIONS, "severity": Severity.HIGH,
        "affected_groups": [AffectedGroupCode.ALL_AID_WORKERS], "starts_at": SEP_1, "source": source,
        "confidence": Confidence.REPORTED,
    } | fields  # fmt: skip
    return record_restriction(actor=SYSTEM, region=region, **fields)


def outage(region, source, **fields):
    fields = {
        "utility": Utility.INTERNET, "started_at": SEP_1, "source": source, "confidence": Confidence.REPORTED,
    } | fields  # fmt: skip
    return record_outage(actor=SYSTEM, region=region, **fields)


def synced(partner, clock):
    """Sync a minute later (past the settle window) and check the rule; the copy, for more asserts."""
    clock.advance(minutes=1)
    partner.sync().assert_holds_a_full_read()
    return partner.copy


def counts(copy, pcode):
    return copy[pcode]["active_restriction_count"], copy[pcode]["active_outage_count"]


def run_beat_task():
    app.loader.import_default_modules()  # what a worker does at start: the apps' tasks.py
    return app.tasks[TASK]()


def test_synced_region_counts_follow_restrictions_and_outages_added_ended_and_moved(
    partner_client, tree, source, clock
):
    regions = SyncingPartner(partner_client, "regions", key="pcode")
    assert counts(synced(regions, clock), "AF0801") == (0, 0)

    posted = partner_client.post(
        "/api/v1/restrictions/",
        {"region": "AF0801", "category": "movement_restrictions", "severity": "high", "source": source.pk,
         "affected_groups": ["all_aid_workers"], "starts_at": "2021-09-01T00:00:00Z", "confidence": "reported"},
        format="json",
    )  # fmt: skip
    assert posted.status_code == 201, posted.content
    kept = AccessRestriction.objects.get(pk=posted.json()["id"])
    ended_now = restriction(tree["AF0801"], source, category=ConstraintCategory.DENIAL_OF_NEEDS)
    assert counts(synced(regions, clock), "AF0801") == (2, 0)
    assert set(regions.received) == {"AF0801"}  # the region itself was touched, nothing else
    cut = outage(tree["AF0801"], source)
    assert counts(synced(regions, clock), "AF0801") == (2, 1)

    end_restrictions(
        restrictions=AccessRestriction.objects.filter(pk=ended_now.pk),
        actor=SYSTEM,
        ended_at=timezone.now(),
        reason="Lifted at the checkpoint",
        source=source,
    )
    assert counts(synced(regions, clock), "AF0801") == (1, 1)

    restore_outages(
        outages=UtilityOutage.objects.filter(pk=cut.pk),
        actor=SYSTEM,
        restored_at=SEP_1 + timedelta(1),
        reason="Back on",
        source=source,
    )
    assert counts(synced(regions, clock), "AF0801") == (1, 0)  # restored by a past time

    response = partner_client.patch(f"/api/v1/restrictions/{kept.pk}/", {"region": "AF0305"}, format="json")
    assert response.status_code == 200, response.content
    copy = synced(regions, clock)
    assert counts(copy, "AF0801") == (0, 0) and counts(copy, "AF0305") == (1, 0)  # old and new region

    update_outage(outage=cut, actor=SYSTEM, region=tree["AF0806"], restored_at=None)  # moved, open again
    copy = synced(regions, clock)
    assert counts(copy, "AF0801") == (0, 0) and counts(copy, "AF0806") == (0, 1)
    update_outage(outage=cut, actor=SYSTEM, region=tree["AF0305"])
    copy = synced(regions, clock)
    assert counts(copy, "AF0806") == (0, 0) and counts(copy, "AF0305") == (1, 1)

    end_restrictions(
        restrictions=AccessRestriction.objects.filter(pk=kept.pk),
        actor=SYSTEM,
        ended_at=SEP_1 + timedelta(2),
        reason="Lifted",
        source=source,
    )
    assert counts(synced(regions, clock), "AF0305") == (0, 1)  # ended by a past time


def test_synced_copies_follow_an_end_and_a_start_recorded_in_advance_once_beat_touches_them(
    partner_client, tree, source, clock
):
    soon = timezone.now() + timedelta(hours=1)
    ending = restriction(tree["AF0801"], source, ends_at=soon)
    starting = restriction(tree["AF0806"], source, starts_at=soon)
    # A restoration is never recorded in advance (it is recorded when it happens), but a cut can be
    # announced: an outage starting in an hour.
    announced = outage(tree["AF0801"], source, started_at=soon)
    partners = [
        SyncingPartner(partner_client, "regions", key="pcode"),
        SyncingPartner(partner_client, "restrictions"),
        SyncingPartner(partner_client, "outages"),
    ]
    regions, restrictions, outages = (synced(partner, clock) for partner in partners)
    assert counts(regions, "AF0801") == (1, 0) and counts(regions, "AF0806") == (0, 0)
    assert restrictions[str(ending.pk)]["is_active"] and not restrictions[str(starting.pk)]["is_active"]
    assert not outages[str(announced.pk)]["is_active"]

    clock.advance(hours=2)  # the end and the starts come; nobody writes
    full = partners[0].full_read()
    assert counts(full, "AF0801") == (0, 1) and counts(full, "AF0806") == (1, 0)  # right at read time
    assert partners[1].full_read()[str(ending.pk)]["is_active"] is False
    for partner in partners:
        assert partner.sync().copy != partner.full_read()  # without beat, no sync could see it

    assert run_beat_task() == {"restrictions": 2, "outages": 1, "regions": 2}
    regions, restrictions, outages = (synced(partner, clock) for partner in partners)
    assert counts(regions, "AF0801") == (0, 1) and counts(regions, "AF0806") == (1, 0)
    assert not restrictions[str(ending.pk)]["is_active"] and restrictions[str(starting.pk)]["is_active"]
    assert outages[str(announced.pk)]["is_active"]
    assert run_beat_task() == {"restrictions": 0, "outages": 0, "regions": 0}  # idempotent


def test_the_touch_task_is_registered_and_scheduled_by_beat():
    app.loader.import_default_modules()
    assert TASK in app.tasks and app.tasks[TASK].time_limit
    scheduled = [entry for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] == TASK]
    assert scheduled == [{"task": TASK, "schedule": settings.HUMTRACK_SYNC_TOUCH_EVERY_SECONDS}]


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_a_superusers_deletion_in_the_admin_reaches_partners_syncing_the_resource_and_its_region(
    partner_client, superuser_client, tree, source, clock
):
    doomed, kept = restriction(tree["AF0801"], source), restriction(tree["AF0801"], source)
    restrictions = SyncingPartner(partner_client, "restrictions")
    regions = SyncingPartner(partner_client, "regions", key="pcode")
    assert str(doomed.pk) in synced(restrictions, clock) and counts(synced(regions, clock), "AF0801") == (2, 0)

    response = superuser_client.post(f"/admin/access/accessrestriction/{doomed.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not AccessRestriction.objects.filter(pk=doomed.pk).exists()

    feed = partner_client.get("/api/v1/deletions/", {"resource": "restrictions"}).json()
    assert [(t["resource"], t["id"]) for t in feed["results"]] == [("restrictions", str(doomed.pk))]
    assert set(synced(restrictions, clock)) == {str(kept.pk)}
    assert counts(synced(regions, clock), "AF0801") == (1, 0)


def test_deleted_regions_are_named_by_p_code_and_other_resources_feeds_stay_apart(partner_client, tree, clock):
    regions = SyncingPartner(partner_client, "regions", key="pcode")
    assert "AF0806" in synced(regions, clock)
    tree["AF0806"].delete()  # a shell, a cascade: whoever deletes
    assert "AF0806" not in synced(regions, clock)
    assert partner_client.get("/api/v1/deletions/", {"resource": "needs"}).json()["results"] == []


def test_a_paused_subscription_syncs_as_inactive_and_a_deleted_one_only_to_its_organisation(
    partner_client, superuser_client, tree, clock
):
    created = partner_client.post(
        "/api/v1/subscriptions/", {"email": "amina@example.org", "name": "Amina", "regions": ["AF08"]}, format="json"
    )
    assert created.status_code == 201, created.content
    subscription_id = created.json()["id"]
    subscriptions = SyncingPartner(partner_client, "subscriptions")
    assert synced(subscriptions, clock)[str(subscription_id)]["active"] is True

    paused = partner_client.patch(f"/api/v1/subscriptions/{subscription_id}/", {"active": False}, format="json")
    assert paused.status_code == 200
    assert synced(subscriptions, clock)[str(subscription_id)]["active"] is False  # paused, kept

    assert partner_client.delete(f"/api/v1/subscriptions/{subscription_id}/").status_code == 204
    assert str(subscription_id) not in synced(subscriptions, clock)  # deleted: gone from the API

    response = superuser_client.post(f"/admin/access/subscription/{subscription_id}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Subscription.objects.exists()
    assert str(subscription_id) not in synced(subscriptions, clock)

    other = client_for(issue_token("Health Cluster", ["read", "alerts"]))
    assert other.get("/api/v1/deletions/", {"resource": "subscriptions"}).json()["results"] == []
    reader = client_for(issue_token("Health Cluster", ["read"]))
    refused = reader.get("/api/v1/deletions/", {"resource": "subscriptions"})
    assert refused.status_code == 403 and "alerts" in refused.json()["detail"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({}, "resource"),
        ({"resource": "cats"}, "resource"),
        ({"resource": "restrictions", "updated_since": ""}, "updated_since"),
    ],
)
def test_the_deletion_feed_names_a_missing_or_wrong_parameter(partner_client, params, field):
    response = partner_client.get("/api/v1/deletions/", params)
    assert response.status_code == 400 and list(response.json()["fields"]) == [field]


def test_the_deletion_feed_pages_by_deleted_at_with_updated_since(partner_client, tree, source, clock):
    first = restriction(tree["AF0801"], source)
    first.delete()
    clock.advance(minutes=5)
    cutoff = timezone.now()
    later = [restriction(tree["AF0801"], source) for _ in range(3)]
    later_ids = [str(each.pk) for each in later]
    for each in later:
        each.delete()
    pages = partner_client.get(
        "/api/v1/deletions/", {"resource": "restrictions", "updated_since": cutoff.isoformat(), "page_size": 2}
    ).json()
    rest = partner_client.get(pages["next"]).json()
    assert [t["id"] for t in pages["results"] + rest["results"]] == later_ids
    assert Tombstone.objects.count() == 4


def test_the_active_filter_is_is_active(partner_client, tree, source, clock):
    soon = timezone.now() + timedelta(hours=1)
    ends_soon = restriction(tree["AF0801"], source, ends_at=soon)
    starts_soon = restriction(tree["AF0801"], source, starts_at=soon)
    ended = restriction(tree["AF0801"], source, ends_at=SEP_1 + timedelta(days=1))

    def listed(active):
        body = partner_client.get("/api/v1/restrictions/", {"active": active}).json()
        assert all(item["is_active"] is (active == "true") for item in body["results"])
        return {item["id"] for item in body["results"]}

    assert listed("true") == {ends_soon.pk} and listed("false") == {starts_soon.pk, ended.pk}
    clock.advance(hours=2)
    assert listed("true") == {starts_soon.pk} and listed("false") == {ends_soon.pk, ended.pk}


def test_a_source_retitled_reaches_partners_syncing_the_regions_whose_status_cites_it(
    partner_client, tree, source, clock
):
    change_access_status(
        region=tree["AF0806"], status=AccessStatus.INACCESSIBLE, reason="Fighting", source=source,
        confidence=Confidence.REPORTED, actor=SYSTEM, effective_at=SEP_1,
    )  # fmt: skip
    change_access_status(
        region=tree["AF03"], status=AccessStatus.CONSTRAINED, reason="Checkpoints", source=source,
        confidence=Confidence.REPORTED, actor=SYSTEM, effective_at=SEP_1,
    )  # fmt: skip
    regions = SyncingPartner(partner_client, "regions", key="pcode")
    synced(regions, clock)
    update_source(source=source, actor=SYSTEM, title="Flash update 3 (corrected)")
    copy = synced(regions, clock)  # Jabal Saraj (AF0305) shows Parwan's record and its source's title too
    for pcode in ("AF0806", "AF03", "AF0305"):
        assert copy[pcode]["status_source_title"].endswith("Flash update 3 (corrected) (01 Sep 2021)")
