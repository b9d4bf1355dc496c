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
        ({"status": "constrained"}, {"AF0305"}),
        ({"status": "none"}, {"AF", "AF08", "AF0801", "AF0806", "AF03"}),  # nothing recorded on them or above
        ({"basis": "recorded"}, {"AF0305"}),
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
    # Panjshir had no record of its own: the change starts from none, not from a recorded "unknown".
    assert (change.from_status, change.to_status) == ("", AccessStatus.INACCESSIBLE)
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
    assert parwan.access_status == ""  # still no record of its own
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
    # A first explicit "unknown" is a record of its own (not a no-op); saying it again is.
    coordinator_client.post(change_status_url(tree["AF08"]), status_post(source, {"status": AccessStatus.UNKNOWN}))
    assert StatusChange.objects.count() == 1
    response = coordinator_client.post(
        change_status_url(tree["AF08"]), status_post(source, {"status": AccessStatus.UNKNOWN}), follow=True
    )
    assert response.status_code == 200
    assert "nothing recorded" in response.content.decode()
    assert StatusChange.objects.count() == 1


# --- the region form itself -------------------------------------------------------------------


def test_the_status_cannot_be_changed_by_editing_the_region_form(coordinator_client, tree):
    panjshir = tree["AF08"]
    url = reverse("admin:access_region_change", args=[panjshir.pk])
    data = region_post(panjshir, population="173000", access_status="inaccessible", change_reason="2021 estimate")

    response = coordinator_client.post(url, data)

    assert response.status_code == 302
    panjshir.refresh_from_db()
    assert panjshir.population == 173000  # the form saved …
    assert panjshir.access_status == ""  # … but not the status
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

    change_access_status(
        region=tree["AF08"],
        status=AccessStatus.INACCESSIBLE,
        reason="Fighting",
        source=source,
        confidence=Confidence.REPORTED,
        actor=Actor(),
    )
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


# --- issue 11 §5: the regions list tells the effective status, and refusals say why --------------


def record(region, source, status, **fields):
    return change_access_status(
        region=region,
        status=status,
        reason=fields.pop("reason", "Fighting in the valley"),
        source=source,
        confidence=fields.pop("confidence", Confidence.REPORTED),
        actor=Actor(),
        **fields,
    )


def row_of(response, pcode):
    """The text of one row of the result table (tags stripped)."""
    import re

    body = response.content.decode()
    rows = re.findall(r"<tr>(.*?)</tr>", body.split('id="result_list"')[1], re.S)
    row = next(row for row in rows if f">{pcode}<" in row)
    return " ".join(re.sub(r"<[^>]+>", " ", row).split())


def test_region_list_shows_the_effective_status_with_basis_since_source_and_confidence(
    coordinator_client, tree, source
):
    Region.objects.filter(pcode="AF08").update(population=173000)
    record(tree["AF08"], source, AccessStatus.INACCESSIBLE, effective_at=timezone.now() - timedelta(days=3))
    response = coordinator_client.get(reverse("admin:access_region_changelist"))
    assert response.status_code == 200

    panjshir = row_of(response, "AF08")
    assert "Inaccessible" in panjshir and "inherited" not in panjshir
    assert str(source)[:30] in panjshir and "Reported" in panjshir and "3 days ago" in panjshir
    assert "173,000" in panjshir  # thousands separators
    bazarak = row_of(response, "AF0801")
    assert "Inaccessible (inherited from Panjsher (AF08))" in bazarak and "Reported" in bazarak
    parwan = row_of(response, "AF03")
    assert "No information recorded" in parwan and "Unknown" not in parwan


def test_region_status_filter_includes_inherited_statuses_and_basis_tells_them_apart(coordinator_client, tree, source):
    record(tree["AF08"], source, AccessStatus.INACCESSIBLE)
    record(tree["AF0806"], source, AccessStatus.UNKNOWN)  # an explicit unknown overrides its province
    url = reverse("admin:access_region_changelist")
    assert listed_pcodes(coordinator_client.get(url, {"status": "inaccessible"})) == {"AF08", "AF0801"}
    assert listed_pcodes(coordinator_client.get(url, {"status": "unknown"})) == {"AF0806"}
    assert listed_pcodes(coordinator_client.get(url, {"basis": "inherited"})) == {"AF0801"}
    assert listed_pcodes(coordinator_client.get(url, {"basis": "none"})) == {"AF", "AF03", "AF0305"}


def test_histories_show_when_a_change_took_effect_beside_when_it_was_recorded(coordinator_client, tree, source):
    from datetime import UTC, datetime

    back_dated = datetime(2021, 9, 6, 8, 0, tzinfo=UTC)
    record(tree["AF08"], source, AccessStatus.INACCESSIBLE, effective_at=back_dated)
    recorded_at = StatusChange.objects.get().recorded_at

    page = coordinator_client.get(reverse("admin:access_region_change", args=[tree["AF08"].pk])).content.decode()
    assert "2021-09-06 08:00 UTC" in page and f"{recorded_at:%Y-%m-%d %H:%M} UTC" in page
    assert page.index("2021-09-06 08:00 UTC") < page.index(f"{recorded_at:%Y-%m-%d %H:%M} UTC")

    history = coordinator_client.get(reverse("admin:access_region_history", args=[tree["AF08"].pk]))
    assert "2021-09-06 08:00 UTC" in history.content.decode()
    changes = coordinator_client.get(reverse("admin:access_statuschange_changelist")).content.decode()
    assert "2021-09-06 08:00 UTC" in changes and f"{recorded_at:%Y-%m-%d %H:%M} UTC" in changes


def test_only_a_silent_change_is_marked_and_a_normal_one_shows_no_red_cross(coordinator_client, tree, source):
    record(tree["AF08"], source, AccessStatus.INACCESSIBLE, effective_at=timezone.now() - timedelta(days=9))
    record(tree["AF08"], source, AccessStatus.CONSTRAINED, silent=True)
    for url in (
        reverse("admin:access_statuschange_changelist"),
        reverse("admin:access_region_change", args=[tree["AF08"].pk]),
    ):
        body = coordinator_client.get(url).content.decode()
        assert body.count('class="silent-mark"') == 1
        assert "icon-no.svg" not in body and "icon-yes.svg" not in body


def test_a_status_change_outside_the_assignment_says_which_regions_the_coordinator_covers(client, tree, source):
    from tests.factories import make_region

    kandahar = make_region("AF23", "Kandahar", parent=tree["AF"])
    coordinator = make_coordinator(tree["AF08"], tree["AF03"], username="two-provinces")
    client.force_login(coordinator)
    coverage = "You cover Parwan (AF03), Panjsher (AF08); Kandahar (AF23) is not among them."

    for response in (
        client.get(change_status_url(kandahar)),
        client.post(change_status_url(kandahar), status_post(source)),
    ):
        assert response.status_code == 403
        body = response.content.decode()
        assert coverage in body and 'id="user-tools"' in body  # the admin's page, not a bare "403 Forbidden"
    form_post = client.post(reverse("admin:access_region_change", args=[kandahar.pk]), region_post(kandahar))
    assert form_post.status_code == 403 and coverage in form_post.content.decode()
    read_only = client.get(reverse("admin:access_region_change", args=[kandahar.pk]))
    assert read_only.status_code == 200 and coverage in read_only.content.decode()
    assert not StatusChange.objects.exists()


def test_a_districts_page_shows_the_status_it_inherits_and_from_where(coordinator_client, tree, source):
    record(tree["AF08"], source, AccessStatus.INACCESSIBLE, reason="The valley is closed by fighting")
    page = coordinator_client.get(reverse("admin:access_region_change", args=[tree["AF0801"].pk])).content.decode()
    assert "(inherited from Panjsher (AF08))" in page and "The valley is closed by fighting" in page
    parwan = coordinator_client.get(reverse("admin:access_region_change", args=[tree["AF03"].pk])).content.decode()
    assert "No information recorded" in parwan


def test_region_search_finds_panjshir_by_its_dari_name(coordinator_client, tree):
    Region.objects.filter(pcode="AF08").update(name_fa_af="پنجشیر", name_ps="پنجشېر")
    response = coordinator_client.get(reverse("admin:access_region_changelist"), {"q": "پنجشیر"})
    assert response.status_code == 200
    assert listed_pcodes(response) == {"AF08"}
    response = coordinator_client.get(reverse("admin:access_region_changelist"), {"q": "پنجشېر"})
    assert listed_pcodes(response) == {"AF08"}
