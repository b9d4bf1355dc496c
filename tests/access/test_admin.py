"""The coordinators' admin for regions: the list, the region page and the "Change access status" form.

A coordinator sees every region but changes only theirs (and those under them); the status changes
only through the dedicated form, which calls the status service and leaves a history row.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from access.choices import AccessStatus, Confidence
from access.models import Region, StatusChange
from access.services import change_access_status
from humtrack.actor import Actor
from tests.factories import UserFactory, make_coordinator

pytestmark = pytest.mark.django_db


def change_status_url(region):
    return reverse("admin:access_region_change_status", args=[region.pk])


def status_post(source, overrides=None):
    now = timezone.now() - timedelta(minutes=1)
    return {
        "status": AccessStatus.INACCESSIBLE,
        "reason": "The valley is closed by fighting",
        "source": source.pk,
        "confidence": Confidence.CONFIRMED,
        "effective_at_0": now.strftime("%Y-%m-%d"),
        "effective_at_1": now.strftime("%H:%M:%S"),
    } | (overrides or {})


def management_form(prefix, total=0, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def region_post(region, **overrides):
    data = {
        "name": region.name,
        "alternative_names": region.alternative_names,
        "population": region.population or "",
        "latitude": region.latitude or "",
        "longitude": region.longitude or "",
        "change_reason": "",
    }
    for prefix in ("status_changes", "restrictions", "outages"):
        data |= management_form(prefix)
    return data | overrides


@pytest.fixture
def coordinator(tree):
    return make_coordinator(tree["AF08"])


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


def listed_pcodes(response):
    return {region.pcode for region in response.context["cl"].result_list}


# --- the list ---------------------------------------------------------------------------------


def test_region_list_shows_badge_label_level_parent_and_last_change(coordinator_client, tree, source):
    change_access_status(
        region=tree["AF08"],
        status=AccessStatus.SEVERELY_CONSTRAINED,
        reason="Fighting",
        source=source,
        confidence=Confidence.REPORTED,
        actor=Actor(),
        effective_at=timezone.now() - timedelta(days=2),
    )
    response = coordinator_client.get(reverse("admin:access_region_changelist"))
    assert response.status_code == 200
    body = response.content.decode()
    # The badge carries its text label, not only a colour.
    assert 'class="status-badge status-severely_constrained"' in body and "Severely constrained</span>" in body
    assert "2\xa0days ago" in body
    assert listed_pcodes(response) == set(tree)


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"access_status": "constrained"}, {"AF0305"}),
        ({"admin_level": "1"}, {"AF08", "AF03"}),
        ({"province": "AF08"}, {"AF08", "AF0801", "AF0806"}),
        ({"stale": "no"}, {"AF0305"}),
        ({"stale": "yes"}, {"AF", "AF08", "AF0801", "AF0806", "AF03"}),
        ({"q": "Panjshir"}, {"AF08"}),  # another spelling of Panjsher
        ({"q": "AF03"}, {"AF03", "AF0305"}),  # a p-code and everything under it
    ],
)
def test_region_filters_and_search_render_for_a_coordinator(coordinator_client, tree, source, query, expected):
    change_access_status(
        region=tree["AF0305"],
        status=AccessStatus.CONSTRAINED,
        reason="Checkpoints",
        source=source,
        confidence=Confidence.CONFIRMED,
        actor=Actor(),
    )
    response = coordinator_client.get(reverse("admin:access_region_changelist"), query)
    assert response.status_code == 200
    assert listed_pcodes(response) == expected


def test_region_page_shows_status_history_and_active_restrictions_and_outages(coordinator_client, tree, source):
    from access.services import record_outage, record_restriction

    panjshir = tree["AF08"]
    change_access_status(
        region=panjshir,
        status=AccessStatus.INACCESSIBLE,
        reason="No precise information from the valley",
        source=source,
        confidence=Confidence.CONFIRMED,
        actor=Actor(),
    )
    now = timezone.now()
    record_restriction(
        actor=Actor(),
        affected_groups=["women_aid_workers"],
        region=panjshir,
        category="movement_restrictions",
        severity="extreme",
        starts_at=now - timedelta(days=1),
        source=source,
        confidence=Confidence.REPORTED,
    )
    record_outage(
        actor=Actor(),
        region=panjshir,
        utility="internet",
        started_at=now - timedelta(days=1),
        source=source,
        confidence=Confidence.CONFIRMED,
    )
    record_outage(
        actor=Actor(),
        region=panjshir,
        utility="water",
        started_at=now - timedelta(days=3),
        restored_at=now - timedelta(days=2),
        source=source,
        confidence=Confidence.CONFIRMED,
    )

    response = coordinator_client.get(reverse("admin:access_region_change", args=[panjshir.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Status history" in body and "No precise information from the valley" in body
    assert "Active restrictions" in body and "Women aid workers" in body
    assert "Active outages" in body and "Internet" in body
    assert "Water" not in body  # restored: not active
    assert "Change access status" in body


# --- changing a status ------------------------------------------------------------------------


def test_coordinator_changes_panjshir_status_through_the_form_and_history_records_who_and_why(
    coordinator_client, coordinator, tree, source
):
    panjshir = tree["AF08"]
    form_page = coordinator_client.get(change_status_url(panjshir))
    assert form_page.status_code == 200

    response = coordinator_client.post(change_status_url(panjshir), status_post(source))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:access_region_change", args=[panjshir.pk])
    change = StatusChange.objects.get(region=panjshir)
    assert (change.from_status, change.to_status) == (AccessStatus.UNKNOWN, AccessStatus.INACCESSIBLE)
    assert change.reason == "The valley is closed by fighting"
    assert change.recorded_by == coordinator and change.source == source and change.confidence == "confirmed"
    panjshir.refresh_from_db()
    assert panjshir.access_status == AccessStatus.INACCESSIBLE
    history = panjshir.history.first()
    assert history.history_user == coordinator
    assert history.history_change_reason == "The valley is closed by fighting"
    assert history.access_status == AccessStatus.INACCESSIBLE

    history_page = coordinator_client.get(reverse("admin:access_region_history", args=[panjshir.pk]))
    assert history_page.status_code == 200
    assert "The valley is closed by fighting" in history_page.content.decode()
    assert coordinator.username in history_page.content.decode()


def test_a_district_under_the_coordinators_province_can_be_changed_too(coordinator_client, tree, source):
    response = coordinator_client.post(change_status_url(tree["AF0806"]), status_post(source))
    assert response.status_code == 302
    assert Region.objects.get(pcode="AF0806").access_status == AccessStatus.INACCESSIBLE


def test_a_status_change_for_a_region_outside_the_assignment_is_refused_and_nothing_changes(
    coordinator_client, tree, source
):
    parwan = tree["AF03"]
    assert coordinator_client.get(change_status_url(parwan)).status_code == 403
    response = coordinator_client.post(change_status_url(parwan), status_post(source))

    assert response.status_code == 403
    assert not StatusChange.objects.exists()
    parwan.refresh_from_db()
    assert parwan.access_status == AccessStatus.UNKNOWN
    # They still see Parwan's page, read-only and without the tool.
    page = coordinator_client.get(reverse("admin:access_region_change", args=[parwan.pk]))
    assert page.status_code == 200 and "Change access status" not in page.content.decode()


def test_a_staff_user_outside_the_coordinators_group_cannot_change_a_status(client, tree, source):
    client.force_login(UserFactory(username="visitor", is_staff=True))
    assert client.post(change_status_url(tree["AF08"]), status_post(source)).status_code == 403
    assert not StatusChange.objects.exists()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"reason": ""}, "reason"),
        ({"confidence": ""}, "confidence"),
        ({"source": ""}, "source"),
        ({"status": "closed"}, "status"),  # a corridor's status, not a region's
        (
            {
                "effective_at_0": (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%d"),
                "effective_at_1": "12:00:00",
            },
            "effective_at",  # the service's rule, shown on the field
        ),
    ],
)
def test_an_incomplete_status_change_shows_form_errors_and_records_nothing(
    coordinator_client, tree, source, overrides, field
):
    response = coordinator_client.post(change_status_url(tree["AF08"]), status_post(source, overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not StatusChange.objects.exists()


def test_a_change_to_the_current_status_records_nothing_and_says_so(coordinator_client, tree, source):
    response = coordinator_client.post(
        change_status_url(tree["AF08"]), status_post(source, {"status": AccessStatus.UNKNOWN}), follow=True
    )
    assert response.status_code == 200
    assert "nothing recorded" in response.content.decode()
    assert not StatusChange.objects.exists()


# --- the region form itself -------------------------------------------------------------------


def test_the_status_cannot_be_changed_by_editing_the_region_form(coordinator_client, tree):
    panjshir = tree["AF08"]
    url = reverse("admin:access_region_change", args=[panjshir.pk])
    data = region_post(panjshir, population="173000", access_status="inaccessible", change_reason="2021 estimate")

    response = coordinator_client.post(url, data)

    assert response.status_code == 302
    panjshir.refresh_from_db()
    assert panjshir.population == 173000  # the form saved …
    assert panjshir.access_status == AccessStatus.UNKNOWN  # … but not the status
    assert not StatusChange.objects.exists()
    assert panjshir.history.first().history_change_reason == "2021 estimate"


def test_a_coordinator_cannot_re_parent_a_region_or_change_its_p_code(coordinator_client, tree):
    panjshir = tree["AF08"]
    url = reverse("admin:access_region_change", args=[panjshir.pk])
    data = region_post(panjshir, pcode="AF99", parent=tree["AF03"].pk, admin_level=2)

    assert coordinator_client.post(url, data).status_code == 302
    panjshir.refresh_from_db()
    assert (panjshir.pcode, panjshir.parent_id, panjshir.admin_level) == ("AF08", tree["AF"].pk, 1)


def test_a_region_form_post_for_another_region_is_refused(coordinator_client, tree):
    parwan = tree["AF03"]
    url = reverse("admin:access_region_change", args=[parwan.pk])
    response = coordinator_client.post(url, region_post(parwan, name="Renamed"))
    assert response.status_code == 403
    parwan.refresh_from_db()
    assert parwan.name == "Parwan"


def test_a_superuser_changes_any_region_status(client, tree, source):
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    response = client.post(change_status_url(tree["AF03"]), status_post(source))
    assert response.status_code == 302
    assert StatusChange.objects.get().recorded_by == admin_user


def test_the_region_list_costs_the_same_number_of_queries_however_many_regions_it_shows(
    coordinator_client, tree, source
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_region

    url = reverse("admin:access_region_changelist")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert coordinator_client.get(url).status_code == 200
        return len(captured.captured_queries)

    before = queries()
    for number in range(10, 20):
        district = make_region(f"AF08{number}", parent=tree["AF08"])
        change_access_status(
            region=district,
            status=AccessStatus.CONSTRAINED,
            reason="Checkpoints",
            source=source,
            confidence=Confidence.REPORTED,
            actor=Actor(),
        )
    assert queries() == before


def test_a_superuser_adds_and_moves_regions_through_the_region_service(client, tree):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    data = {
        "pcode": "AF0899",
        "name": "New district",
        "alternative_names": "",
        "admin_level": 2,
        "parent": tree["AF08"].pk,
        "population": "",
        "latitude": "",
        "longitude": "",
    }
    for prefix in ("status_changes", "restrictions", "outages"):
        data |= management_form(prefix)
    assert client.post(reverse("admin:access_region_add"), data).status_code == 302
    district = Region.objects.get(pcode="AF0899")
    assert district.path == "AF/AF08/AF0899/"

    url = reverse("admin:access_region_change", args=[district.pk])
    moved = region_post(district, pcode="AF0899", admin_level=2, parent=tree["AF03"].pk, change_reason="COD update")
    assert client.post(url, moved).status_code == 302
    district.refresh_from_db()
    assert district.path == "AF/AF03/AF0899/"
    assert district.history.first().history_change_reason == "COD update"

    # A region cannot be put under its own district: the model's rule, shown on the form.
    loop = region_post(tree["AF08"], pcode="AF08", admin_level=1, parent=tree["AF0801"].pk)
    response = client.post(reverse("admin:access_region_change", args=[tree["AF08"].pk]), loop)
    assert response.status_code == 200 and "parent" in response.context["adminform"].form.errors
    assert Region.objects.get(pcode="AF08").parent == tree["AF"]
