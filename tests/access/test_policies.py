"""access.policies: who may change what, for each kind of actor (partner, coordinator, superuser, others)."""

import pytest

from access import policies
from access.alerts import subscriptions as alert_subscriptions
from access.alerts.webhooks.endpoints import register_endpoint
from access.models import AccessRestriction, AidCorridor, Source
from humtrack.actor import SYSTEM, Actor
from tests.factories import OrganisationFactory, UserFactory, make_coordinator

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner():
    return Actor(organisation=OrganisationFactory(name="WFP"))


@pytest.fixture
def other_partner():
    return Actor(organisation=OrganisationFactory(name="UNICEF"))


@pytest.fixture
def coordinator(tree):
    """Coordinates Panjsher (AF08) and so its districts."""
    return Actor(user=make_coordinator(tree["AF08"]))


@pytest.fixture
def superuser():
    return Actor(user=UserFactory(username="root", is_staff=True, is_superuser=True))


@pytest.fixture
def unassigned_staff():
    return Actor(user=UserFactory(username="new-staff", is_staff=True))


@pytest.fixture
def not_staff():
    return Actor(user=UserFactory(username="reader"))


def test_a_coordinator_changes_its_regions_and_everything_under_them_only(tree, coordinator):
    assert policies.can_change_region(coordinator, tree["AF08"])
    assert policies.can_change_region(coordinator, tree["AF0806"])
    assert not policies.can_change_region(coordinator, tree["AF03"])
    assert not policies.can_change_region(coordinator, tree["AF"])  # above its region


def test_partners_and_superusers_record_facts_in_any_region(tree, partner, superuser, unassigned_staff):
    for region in tree.values():
        assert policies.can_change_region(partner, region)
        assert policies.can_change_region(superuser, region)
        assert not policies.can_change_region(unassigned_staff, region)


def test_a_route_is_a_coordinators_when_it_passes_through_one_of_its_regions(tree, coordinator, partner):
    assert policies.can_change_route(coordinator, [tree["AF03"], tree["AF0801"]])
    assert not policies.can_change_route(coordinator, [tree["AF03"], tree["AF0305"]])
    assert policies.can_change_route(partner, [tree["AF03"], tree["AF0305"]])


def test_writes_in_regions_check_the_region_and_the_route(tree, coordinator, partner, superuser):
    mine, theirs = tree["AF0801"], tree["AF03"]
    assert policies.can_write_in_regions(coordinator, {"region": mine})
    assert not policies.can_write_in_regions(coordinator, {"region": theirs})
    assert policies.can_write_in_regions(coordinator, {"regions": [theirs, mine]})
    assert not policies.can_write_in_regions(coordinator, {"regions": [theirs, tree["AF0305"]]})
    assert policies.can_write_in_regions(coordinator, {"title": "a source: no region"})
    for anywhere in (partner, superuser):
        assert policies.can_write_in_regions(anywhere, {"region": theirs, "regions": [theirs]})


def test_a_partner_changes_only_its_own_organisations_records(tree, partner, other_partner):
    own = AccessRestriction(region=tree["AF03"], organisation=partner.organisation)
    foreign = AccessRestriction(region=tree["AF03"], organisation=other_partner.organisation)
    staffs = AccessRestriction(region=tree["AF03"], organisation=None)
    assert policies.can_change_record(partner, own)
    assert not policies.can_change_record(partner, foreign)
    assert not policies.can_change_record(partner, staffs)


def test_staff_change_records_by_their_regions(tree, coordinator, superuser, unassigned_staff, not_staff):
    in_panjsher = AccessRestriction(region=tree["AF0806"])
    in_parwan = AccessRestriction(region=tree["AF0305"])
    corridor_from_parwan = AidCorridor(name="Salang", origin=tree["AF03"])
    source = Source(title="No region")
    assert policies.can_change_record(coordinator, in_panjsher)
    assert policies.can_change_record(coordinator, tree["AF0806"])  # a region is its own
    assert not policies.can_change_record(coordinator, in_parwan)
    assert not policies.can_change_record(coordinator, corridor_from_parwan)  # the API judges a corridor by its origin
    assert policies.can_change_record(coordinator, source)  # a record of no region: any staff user's
    assert all(policies.can_change_record(superuser, r) for r in (in_parwan, corridor_from_parwan, source))
    assert not policies.can_change_record(unassigned_staff, in_parwan)
    assert not policies.can_change_record(not_staff, source)


def test_bulk_uploads_are_for_partners_and_superusers(partner, superuser, coordinator, unassigned_staff):
    assert policies.can_upload_needs(partner)
    assert policies.can_upload_needs(superuser)
    assert not policies.can_upload_needs(coordinator)
    assert not policies.can_upload_needs(unassigned_staff)


def test_only_a_superuser_restructures_regions(superuser, coordinator, partner):
    assert policies.can_restructure_regions(superuser)
    assert not policies.can_restructure_regions(coordinator)
    assert not policies.can_restructure_regions(partner)


def test_the_partner_half_of_the_record_rule_trusts_staff_and_the_system(tree, partner, coordinator):
    foreign = AccessRestriction(region=tree["AF03"], organisation=OrganisationFactory(name="Other"))
    assert not policies.is_own_organisations(partner, foreign)
    assert policies.is_own_organisations(coordinator, foreign)  # staff rights are checked by can_change_record
    assert policies.is_own_organisations(SYSTEM, foreign)


def test_subscriptions_a_partner_its_own_a_coordinator_its_regions_and_its_own(
    tree, partner, other_partner, coordinator, superuser, unassigned_staff
):
    following_panjsher = alert_subscriptions.create_subscription(
        actor=partner, regions=[tree["AF0801"]], email="field@example.org"
    )
    following_parwan = alert_subscriptions.create_subscription(
        actor=other_partner, regions=[tree["AF03"]], email="parwan@example.org"
    )
    created_by_coordinator = alert_subscriptions.create_subscription(
        actor=coordinator, regions=[tree["AF03"]], email="mine@example.org"
    )
    assert policies.can_change_subscription(partner, following_panjsher)
    assert not policies.can_change_subscription(partner, following_parwan)
    assert policies.can_change_subscription(coordinator, following_panjsher)
    assert not policies.can_change_subscription(coordinator, following_parwan)
    assert policies.can_change_subscription(coordinator, created_by_coordinator)
    assert policies.can_change_subscription(superuser, following_parwan)
    assert not policies.can_change_subscription(unassigned_staff, following_parwan)


def test_webhook_endpoints_a_partner_its_own_a_superuser_all_a_coordinator_none(
    partner, other_partner, coordinator, superuser, unassigned_staff
):
    ours, _ = register_endpoint(
        organisation=partner.organisation,
        url="https://hooks.example.org/",
        event_types=["outage.created"],
        actor=partner,
    )
    assert policies.can_manage_webhook_endpoint(partner, ours)
    assert not policies.can_manage_webhook_endpoint(other_partner, ours)
    assert policies.can_manage_webhook_endpoint(superuser, ours)
    assert not policies.can_manage_webhook_endpoint(coordinator, ours)
    assert not policies.can_manage_webhook_endpoint(unassigned_staff, ours)
    assert not policies.can_manage_webhook_endpoint(SYSTEM, ours)
    assert [policies.can_register_webhook_endpoints(actor) for actor in (partner, superuser, coordinator, SYSTEM)] == [
        True,
        True,
        False,
        False,
    ]
