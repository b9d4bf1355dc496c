"""A record's status history in the admin (access/admin/status.py): the same columns for a region's and a
corridor's, including who recorded each change for which partner organisation."""

import pytest
from django.urls import reverse

from access.choices import AccessStatus, Confidence, CorridorStatus
from access.services import change_access_status, change_corridor_status, create_corridor
from humtrack.actor import Actor
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def field_officer():
    """A person recording for a partner organisation (its token's user, or a person with one)."""
    return Actor(user=UserFactory(username="field-officer"), organisation=OrganisationFactory(name="Logistics Cluster"))


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_a_corridors_status_history_says_who_recorded_each_change_for_which_organisation(
    superuser_client, tree, source, field_officer
):
    corridor = create_corridor(
        actor=field_officer,
        name="Jabal Saraj – Bazarak",
        regions=[tree["AF0305"], tree["AF0801"]],
        status=CorridorStatus.OPEN,
        source=source,
        confidence=Confidence.REPORTED,
    )
    closed = change_corridor_status(
        corridor=corridor,
        status=CorridorStatus.CLOSED,
        reason="Fighting at the valley's mouth",
        source=source,
        confidence=Confidence.REPORTED,
        actor=field_officer,
    )
    assert closed.organisation == corridor.status_changes.get(from_status="").organisation == field_officer.organisation

    page = superuser_client.get(reverse("admin:access_aidcorridor_change", args=[corridor.pk])).content.decode()
    assert page.count("by field-officer for Logistics Cluster") == 2  # its first status and the closure


def test_a_regions_status_history_says_the_same(superuser_client, tree, source, field_officer):
    change_access_status(
        region=tree["AF08"],
        status=AccessStatus.INACCESSIBLE,
        reason="The valley is closed by fighting",
        source=source,
        confidence=Confidence.REPORTED,
        actor=field_officer,
    )
    page = superuser_client.get(reverse("admin:access_region_change", args=[tree["AF08"].pk])).content.decode()
    assert page.count("by field-officer for Logistics Cluster") == 1
