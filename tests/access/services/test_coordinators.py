"""Coordinator assignments grant rights: made in the admin through access.services.coordinators, audited."""

import pytest
from django.urls import reverse

from access.models import CoordinatorAssignment
from access.policies import can_change_region
from humtrack.actor import Actor
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_assigning_moving_and_removing_a_coordinator_in_the_admin_is_in_the_history(root, tree):
    person = UserFactory(username="amina", is_staff=True)
    root.post(reverse("admin:access_coordinatorassignment_add"), {"user": person.pk, "region": tree["AF08"].pk})
    assignment = CoordinatorAssignment.objects.get()
    assert can_change_region(Actor(user=person), tree["AF0801"])

    root.post(
        reverse("admin:access_coordinatorassignment_change", args=[assignment.pk]),
        {"user": person.pk, "region": tree["AF03"].pk},
    )
    root.post(reverse("admin:access_coordinatorassignment_delete", args=[assignment.pk]), {"post": "yes"})
    assert not CoordinatorAssignment.objects.exists()

    versions = list(CoordinatorAssignment.history.filter(id=assignment.pk).order_by("history_id"))
    assert [(v.history_type, v.region_id) for v in versions] == [
        ("+", tree["AF08"].pk),
        ("~", tree["AF03"].pk),
        ("-", tree["AF03"].pk),
    ]
    assert {v.history_user.username for v in versions} == {"root"}
    assert [v.history_change_reason for v in versions] == [
        "Assigned in the admin",
        "Changed in the admin: region",
        "Unassigned in the admin",
    ]


def test_removing_assignments_with_the_list_action_is_in_the_history(root, tree):
    person = UserFactory(username="amina", is_staff=True)
    root.post(reverse("admin:access_coordinatorassignment_add"), {"user": person.pk, "region": tree["AF08"].pk})
    assignment = CoordinatorAssignment.objects.get()
    root.post(
        reverse("admin:access_coordinatorassignment_changelist"),
        {"action": "delete_selected", "_selected_action": [assignment.pk], "post": "yes"},
    )
    assert not CoordinatorAssignment.objects.exists()
    removed = CoordinatorAssignment.history.get(id=assignment.pk, history_type="-")
    assert removed.history_user.username == "root" and removed.history_change_reason == "Unassigned in the admin"
