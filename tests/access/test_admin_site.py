"""The admin as a whole: every page a superuser opens works, and the demo coordinator can do their job."""

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from access.choices import AccessStatus
from access.models import Region, Source, StatusChange
from scenarios.demo import DEMO_COORDINATOR_USERNAME
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model, model_admin", REGISTERED, ids=[model._meta.label for model, _ in REGISTERED])
def test_every_admin_list_and_add_page_opens_for_a_superuser(superuser_client, tree, source, model, model_admin):
    info = model._meta.app_label, model._meta.model_name
    assert superuser_client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200
    request = RequestFactory().get("/")
    request.user = UserFactory(username="root")
    expected = 200 if model_admin.has_add_permission(request) else 403
    assert superuser_client.get(reverse("admin:{}_{}_add".format(*info))).status_code == expected


def test_the_demo_coordinator_logs_in_at_admin_and_changes_panjshirs_status(client):
    call_command("load_demo", stdout=io.StringIO())
    login = client.post(
        reverse("admin:login") + "?next=/admin/",
        {"username": DEMO_COORDINATOR_USERNAME, "password": settings.HUMTRACK_DEMO_PASSWORD},
    )
    assert login.status_code == 302 and login["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200

    panjshir = Region.objects.get(pcode="AF08")
    page = client.get(reverse("admin:access_region_change", args=[panjshir.pk]))
    assert "Change access status" in page.content.decode()
    un_statement = Source.objects.filter(kind="un_statement").first()
    effective_at = timezone.now() - timedelta(minutes=1)
    response = client.post(
        reverse("admin:access_region_change_status", args=[panjshir.pk]),
        {
            "status": AccessStatus.INACCESSIBLE,
            "reason": "Road into the valley closed",
            "source": un_statement.pk,
            "confidence": "reported",
            "effective_at_0": effective_at.strftime("%Y-%m-%d"),
            "effective_at_1": effective_at.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302
    panjshir.refresh_from_db()
    assert panjshir.access_status == AccessStatus.INACCESSIBLE
    assert panjshir.current_status_change.recorded_by.username == DEMO_COORDINATOR_USERNAME
    # Kabul is not the demo coordinator's.
    kabul = Region.objects.get(pcode="AF01")
    assert client.get(reverse("admin:access_region_change_status", args=[kabul.pk])).status_code == 403
    assert not StatusChange.objects.filter(region=kabul).exists()


def test_every_history_page_and_historical_version_opens_and_cannot_be_reverted(superuser_client):
    call_command("load_demo", stdout=io.StringIO())
    history_admins = [(m, a) for m, a in REGISTERED if isinstance(a, SimpleHistoryAdmin)]
    assert {m._meta.model_name for m, _ in history_admins} >= {
        "region",
        "aidcorridor",
        "accessrestriction",
        "utilityoutage",
        "source",
        "needfigure",
    }
    for model, _ in history_admins:
        obj = model._default_manager.first()
        if obj is None:
            continue
        info = model._meta.app_label, model._meta.model_name
        assert superuser_client.get(reverse("admin:{}_{}_history".format(*info), args=[obj.pk])).status_code == 200
        version = obj.history.first()
        url = reverse("admin:{}_{}_simple_history".format(*info), args=[obj.pk, version.history_id])
        assert superuser_client.get(url).status_code == 200, model
        assert superuser_client.post(url, {}).status_code == 403, model
