"""A partner syncing regions with `resume` holds what a full read gives, effective statuses included.

A region's effective status changes when an ancestor's current status changes, without a write of its
own: the status service touches the regions that inherit it (access.services.status).
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from access.choices import AccessStatus, Confidence
from access.models import Region
from access.services import change_access_status
from humtrack.actor import SYSTEM

pytestmark = pytest.mark.django_db

AUG_31 = datetime(2021, 8, 31, 12, tzinfo=UTC)


def walk(client, url, params=None):
    """Follow `next` to the end; return the regions seen by p-code and the last page's `resume` link."""
    seen, response = {}, client.get(url, params or {})
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        seen.update({item["pcode"]: item for item in body["results"]})
        if not body["next"]:
            return seen, body["resume"]
        response = client.get(body["next"])


def change(region, status, effective_at=None):
    return change_access_status(
        region=region, status=status, reason="test", source=region.source, confidence=Confidence.REPORTED,
        actor=SYSTEM, effective_at=effective_at,
    )  # fmt: skip


@pytest.fixture
def synced(reader, tree, source):
    """The tree as a partner holds it after a full sync an hour after its last write; and `resume`."""
    for region in tree.values():
        region.source = source

    def sync():
        # Rows written an hour ago are well behind the settle window: a resume gives only later writes.
        Region.objects.update(updated_at=timezone.now() - timedelta(hours=1))
        return walk(reader, "/api/v1/regions/", {"page_size": 2})

    return sync


def test_a_syncing_partner_sees_bazarak_inherit_panjshirs_new_status(reader, tree, synced):
    held, resume = synced()
    assert held["AF0801"]["status_basis"] == "none"
    etag = reader.get("/api/v1/regions/AF0801/")["ETag"]
    change(tree["AF08"], AccessStatus.INACCESSIBLE)  # only Panjshir's own status changes
    assert reader.get("/api/v1/regions/AF0801/")["ETag"] != etag  # a cached copy is stale too
    changed, _ = walk(reader, resume)
    assert set(changed) == {"AF08", "AF0801", "AF0806"}
    bazarak = changed["AF0801"]
    assert (bazarak["status"], bazarak["status_basis"], bazarak["status_from"]) == ("inaccessible", "inherited", "AF08")
    held.update(changed)
    full, _ = walk(reader, "/api/v1/regions/")
    assert held == full


def test_a_later_change_reaches_the_inheriting_districts_and_not_one_with_its_own_record(reader, tree, synced):
    change(tree["AF08"], AccessStatus.INACCESSIBLE, AUG_31)
    change(tree["AF0806"], AccessStatus.CONSTRAINED, AUG_31)
    held, resume = synced()
    change(tree["AF08"], AccessStatus.SEVERELY_CONSTRAINED)
    changed, _ = walk(reader, resume)
    assert set(changed) == {"AF08", "AF0801"}  # Rokha keeps its own record: nothing it shows changed
    assert changed["AF0801"]["status"] == "severely_constrained"
    held.update(changed)
    assert held == walk(reader, "/api/v1/regions/")[0]


def test_a_country_change_reaches_only_the_regions_that_take_their_status_from_the_country(reader, tree, synced):
    change(tree["AF08"], AccessStatus.INACCESSIBLE, AUG_31)
    held, resume = synced()
    change(tree["AF"], AccessStatus.CONSTRAINED)
    changed, _ = walk(reader, resume)
    assert set(changed) == {"AF", "AF03", "AF0305"}
    assert (changed["AF0305"]["status"], changed["AF0305"]["status_from"]) == ("constrained", "AF")
    held.update(changed)
    assert held == walk(reader, "/api/v1/regions/")[0]


def test_a_back_dated_change_that_does_not_become_current_touches_no_region(reader, tree, synced):
    change(tree["AF08"], AccessStatus.INACCESSIBLE, AUG_31)
    held, resume = synced()
    assert change(tree["AF08"], AccessStatus.ACCESSIBLE, AUG_31 - timedelta(days=1)) is not None
    changed, _ = walk(reader, resume)
    assert changed == {}
    assert held == walk(reader, "/api/v1/regions/")[0]
