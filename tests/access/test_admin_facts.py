"""Restrictions, outages, corridors and sources in the coordinators' admin.

Saves go through the services (validation shows as form errors, history records who and why);
choices and actions are limited to the coordinator's regions.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from access.choices import AccessStatus, Confidence, CorridorStatus
from access.models import AccessRestriction, AidCorridor, CorridorStatusChange, Source, UtilityOutage
from access.services import create_corridor, record_outage, record_restriction
from humtrack.actor import Actor
from tests.factories import make_coordinator

pytestmark = pytest.mark.django_db

SEP_1 = datetime(2021, 9, 1, 8, tzinfo=UTC)


def split(moment: datetime, name: str) -> dict:
    return {f"{name}_0": moment.strftime("%Y-%m-%d"), f"{name}_1": moment.strftime("%H:%M:%S")}


@pytest.fixture
def coordinator(tree):
    return make_coordinator(tree["AF08"])


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


def outage(region, source, utility="internet", **fields):
    defaults = {"started_at": SEP_1, "confidence": Confidence.CONFIRMED}
    return record_outage(actor=Actor(), region=region, utility=utility, source=source, **(defaults | fields))


def restriction(region, source, **fields):
    defaults = {
        "affected_groups": ["all_aid_workers"], "category": "hostilities", "severity": "extreme",
        "starts_at": SEP_1, "confidence": Confidence.REPORTED,
    }  # fmt: skip
    return record_restriction(actor=Actor(), region=region, source=source, **(defaults | fields))


def outage_post(region, source, **overrides):
    return {
        "region": region.pk,
        "utility": "electricity",
        **split(SEP_1, "started_at"),
        "restored_at_0": "",
        "restored_at_1": "",
        "cause": "deliberate_cut",
        "cause_detail": "Power lines to the valley cut",
        "extent": "full",
        "source": source.pk,
        "confidence": Confidence.REPORTED,
    } | overrides


def restriction_post(region, source, **overrides):
    return {
        "region": region.pk,
        "corridor": "",
        "category": "movement_restrictions",
        "severity": "high",
        "affected_groups": ["all_aid_workers", "women_aid_workers"],
        "description": "No movement of aid workers into the valley",
        "imposed_by": "Taliban",
        **split(SEP_1, "starts_at"),
        "ends_at_0": "",
        "ends_at_1": "",
        "source": source.pk,
        "confidence": Confidence.REPORTED,
    } | overrides


# --- lists and filters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, query",
    [
        ("accessrestriction", {"active": "yes", "category": "hostilities", "province": "AF08", "q": "Panjsher"}),
        ("utilityoutage", {"open": "yes", "utility": "internet", "province": "AF08", "q": "AF08"}),
        ("aidcorridor", {"status": "closed", "province": "AF08", "q": "Bazarak"}),
        ("source", {"kind": "agency_report", "q": "OCHA"}),
        ("statuschange", {"to_status": "inaccessible", "province": "AF08", "q": "Panjsher"}),
        ("coordinatorassignment", {"province": "AF08"}),
    ],
)
def test_lists_and_their_filters_render_for_a_coordinator(coordinator_client, tree, source, name, query):
    from access.services import change_access_status

    outage(tree["AF08"], source)
    restriction(tree["AF08"], source)
    create_corridor(
        actor=Actor(),
        regions=[tree["AF03"], tree["AF08"], tree["AF0801"]],
        status=CorridorStatus.CLOSED,
        source=source,
        confidence=Confidence.CONFIRMED,
        name="Kabul – Bazarak",
    )
    change_access_status(
        region=tree["AF08"],
        status=AccessStatus.INACCESSIBLE,
        reason="Fighting",
        source=source,
        confidence=Confidence.CONFIRMED,
        actor=Actor(),
    )
    url = reverse(f"admin:access_{name}_changelist")
    assert coordinator_client.get(url).status_code == 200
    response = coordinator_client.get(url, query)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 1


# --- restricted choices -----------------------------------------------------------------------


def test_the_outage_form_offers_only_the_coordinators_regions(coordinator_client, tree):
    response = coordinator_client.get(reverse("admin:access_utilityoutage_add"))
    offered = {region.pcode for region in response.context["adminform"].form.fields["region"].queryset}
    assert offered == {"AF08", "AF0801", "AF0806"}


def test_a_crafted_outage_post_for_another_region_is_a_form_error_and_saves_nothing(coordinator_client, tree, source):
    response = coordinator_client.post(reverse("admin:access_utilityoutage_add"), outage_post(tree["AF03"], source))
    assert response.status_code == 200
    assert "region" in response.context["adminform"].form.errors
    assert not UtilityOutage.objects.exists()


def test_a_coordinator_records_an_outage_in_their_region_through_the_service(
    coordinator_client, coordinator, tree, source
):
    response = coordinator_client.post(reverse("admin:access_utilityoutage_add"), outage_post(tree["AF0801"], source))
    assert response.status_code == 302
    recorded = UtilityOutage.objects.get()
    assert (recorded.region, recorded.cause) == (tree["AF0801"], "deliberate_cut")
    history = recorded.history.get()
    assert history.history_user == coordinator and history.history_change_reason == "Outage recorded"


def test_a_crafted_change_post_for_another_regions_outage_is_refused(coordinator_client, tree, source):
    parwan_outage = outage(tree["AF03"], source)
    url = reverse("admin:access_utilityoutage_change", args=[parwan_outage.pk])
    response = coordinator_client.post(url, outage_post(tree["AF03"], source, cause="technical_failure"))
    assert response.status_code == 403
    assert "You cover Panjsher (AF08); Parwan (AF03) is not among them." in response.content.decode()
    parwan_outage.refresh_from_db()
    assert parwan_outage.cause == "unknown"


def test_an_outage_cannot_be_moved_out_of_the_coordinators_regions(coordinator_client, tree, source):
    panjshir_outage = outage(tree["AF08"], source)
    url = reverse("admin:access_utilityoutage_change", args=[panjshir_outage.pk])
    response = coordinator_client.post(url, outage_post(tree["AF03"], source))
    assert response.status_code == 200 and "region" in response.context["adminform"].form.errors
    panjshir_outage.refresh_from_db()
    assert panjshir_outage.region == tree["AF08"]


def test_editing_an_outage_records_the_reason_given(coordinator_client, coordinator, tree, source):
    panjshir_outage = outage(tree["AF08"], source)
    url = reverse("admin:access_utilityoutage_change", args=[panjshir_outage.pk])
    data = outage_post(tree["AF08"], source, utility="internet", extent="partial", change_reason="Partly back")
    assert coordinator_client.post(url, data).status_code == 302
    panjshir_outage.refresh_from_db()
    assert panjshir_outage.extent == "partial"
    latest = panjshir_outage.history.first()
    assert latest.history_user == coordinator and latest.history_change_reason == "Partly back"


# --- validation shows as form errors ----------------------------------------------------------


def test_a_restriction_ending_before_it_starts_is_a_form_error(coordinator_client, tree, source):
    data = restriction_post(tree["AF08"], source, **split(SEP_1 - timedelta(days=1), "ends_at"))
    response = coordinator_client.post(reverse("admin:access_accessrestriction_add"), data)
    assert response.status_code == 200
    assert "cannot end before it starts" in str(response.context["adminform"].form.errors)
    assert not AccessRestriction.objects.exists()


def test_a_restriction_without_affected_groups_is_a_form_error(coordinator_client, tree, source):
    data = restriction_post(tree["AF08"], source, affected_groups=[])
    response = coordinator_client.post(reverse("admin:access_accessrestriction_add"), data)
    assert response.status_code == 200 and "affected_groups" in response.context["adminform"].form.errors
    assert not AccessRestriction.objects.exists()


def test_an_outage_restored_before_it_started_is_a_form_error(coordinator_client, tree, source):
    data = outage_post(tree["AF08"], source, **split(SEP_1 - timedelta(hours=1), "restored_at"))
    response = coordinator_client.post(reverse("admin:access_utilityoutage_add"), data)
    assert response.status_code == 200
    assert "cannot be restored before it started" in str(response.context["adminform"].form.errors)
    assert not UtilityOutage.objects.exists()


def test_a_coordinator_records_a_restriction_with_its_groups(coordinator_client, tree, source):
    response = coordinator_client.post(
        reverse("admin:access_accessrestriction_add"), restriction_post(tree["AF08"], source)
    )
    assert response.status_code == 302
    recorded = AccessRestriction.objects.get()
    assert {g.code for g in recorded.affected_groups.all()} == {"all_aid_workers", "women_aid_workers"}


# --- actions touch only permitted rows --------------------------------------------------------


SEP_5 = datetime(2021, 9, 5, 14, 30, tzinfo=UTC)


def action_post(action, records, **form):
    return {"action": action, "_selected_action": [record.pk for record in records], **form}


def restore_form(source, moment=SEP_5, **overrides):
    return {"apply": "1", **split(moment, "restored_at"), "reason": "Internet back", "source": source.pk} | overrides


def end_form(source, moment=SEP_5, **overrides):
    return {"apply": "1", **split(moment, "ended_at"), "reason": "Checkpoint lifted", "source": source.pk} | overrides


def test_marking_outages_restored_first_asks_when_why_and_on_whose_word(coordinator_client, tree, source):
    mine, theirs = outage(tree["AF0806"], source), outage(tree["AF0305"], source)
    url = reverse("admin:access_utilityoutage_changelist")

    page = coordinator_client.post(url, action_post("restore_selected", [mine, theirs]))

    assert page.status_code == 200
    assert set(page.context["form"].fields) == {"restored_at", "reason", "source"}
    body = page.content.decode()
    assert "not one of your regions" in body
    assert "You cover Panjsher (AF08); Jabal Saraj (AF0305) is not among them." in body
    mine.refresh_from_db()
    assert mine.restored_at is None  # nothing happens before the form is sent


def test_a_2021_outage_restored_in_the_admin_keeps_the_past_time_and_only_the_coordinators(
    coordinator_client, coordinator, tree, source
):
    mine, theirs = outage(tree["AF0806"], source), outage(tree["AF0305"], source)
    netblocks = Source.objects.create(publisher="NetBlocks", title="Panjshir back online", kind="news")
    response = coordinator_client.post(
        reverse("admin:access_utilityoutage_changelist"),
        action_post("restore_selected", [mine, theirs], **restore_form(netblocks)),
        follow=True,
    )
    assert response.status_code == 200
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.restored_at == SEP_5 and theirs.restored_at is None
    assert mine.source == netblocks
    history = mine.history.first()
    assert history.history_user == coordinator and history.history_change_reason == "Internet back"
    body = response.content.decode()
    assert "1 left unchanged" in body and "Jabal Saraj (AF0305) is not among them" in body


@pytest.mark.parametrize(
    "moment, message",
    [
        (timezone.now() + timedelta(days=1), "in the future"),
        (SEP_1 - timedelta(days=1), "cannot end before it started"),
    ],
)
def test_a_restore_in_the_future_or_before_the_outage_started_is_a_form_error_and_saves_nothing(
    coordinator_client, tree, source, moment, message
):
    cut = outage(tree["AF08"], source)
    response = coordinator_client.post(
        reverse("admin:access_utilityoutage_changelist"),
        action_post("restore_selected", [cut], **restore_form(source, moment)),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors["restored_at"])
    cut.refresh_from_db()
    assert cut.restored_at is None


def test_ending_restrictions_keeps_a_past_time_and_refuses_a_future_one(coordinator_client, coordinator, tree, source):
    mine, theirs = restriction(tree["AF08"], source), restriction(tree["AF03"], source)
    url = reverse("admin:access_accessrestriction_changelist")

    future = coordinator_client.post(
        url, action_post("end_selected", [mine], **end_form(source, timezone.now() + timedelta(hours=2)))
    )
    assert future.status_code == 200 and "ended_at" in future.context["form"].errors
    before_start = coordinator_client.post(
        url, action_post("end_selected", [mine], **end_form(source, SEP_1 - timedelta(hours=2)))
    )
    assert "ended_at" in before_start.context["form"].errors
    mine.refresh_from_db()
    assert mine.ends_at is None

    coordinator_client.post(url, action_post("end_selected", [mine, theirs], **end_form(source)))
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.ends_at == SEP_5 and theirs.ends_at is None
    assert mine.history.first().history_user == coordinator
    assert mine.history.first().history_change_reason == "Checkpoint lifted"


def test_an_ending_action_on_records_outside_the_regions_only_says_why(coordinator_client, tree, source):
    theirs = restriction(tree["AF03"], source)
    response = coordinator_client.post(
        reverse("admin:access_accessrestriction_changelist"), action_post("end_selected", [theirs]), follow=True
    )
    assert "You cover Panjsher (AF08); Parwan (AF03) is not among them." in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.ends_at is None


# --- corridors --------------------------------------------------------------------------------


def corridor_add_post(source, route, **overrides):
    return {
        "name": "Kabul – Bazarak",
        "route": route,
        "initial_status": CorridorStatus.RESTRICTED,
        "status_reason": "Checkpoints at the valley's mouth",
        "source": source.pk,
        "confidence": Confidence.REPORTED,
        "last_verified_at_0": "",
        "last_verified_at_1": "",
        "notes": "",
        "status_changes-TOTAL_FORMS": 0,
        "status_changes-INITIAL_FORMS": 0,
    } | overrides


def test_a_coordinator_adds_a_corridor_through_their_region_and_changes_its_status(
    coordinator_client, coordinator, tree, source
):
    response = coordinator_client.post(
        reverse("admin:access_aidcorridor_add"),
        corridor_add_post(source, "AF03 → af08, AF0801"),
    )
    assert response.status_code == 302
    corridor = AidCorridor.objects.get()
    assert [w.region.pcode for w in corridor.waypoints.order_by("position")] == ["AF03", "AF08", "AF0801"]
    assert (corridor.origin, corridor.destination, corridor.status) == (tree["AF03"], tree["AF0801"], "restricted")

    url = reverse("admin:access_aidcorridor_change_status", args=[corridor.pk])
    response = coordinator_client.post(
        url,
        {
            "status": CorridorStatus.CLOSED,
            "reason": "Closed by fighting",
            "source": source.pk,
            "confidence": Confidence.CONFIRMED,
            **split(timezone.now() - timedelta(minutes=1), "effective_at"),
        },
    )
    assert response.status_code == 302
    corridor.refresh_from_db()
    assert corridor.status == CorridorStatus.CLOSED
    change = CorridorStatusChange.objects.get(to_status=CorridorStatus.CLOSED)
    assert change.recorded_by == coordinator and change.reason == "Closed by fighting"


def test_a_corridor_route_outside_the_coordinators_regions_is_a_form_error(coordinator_client, tree, source):
    response = coordinator_client.post(
        reverse("admin:access_aidcorridor_add"), corridor_add_post(source, "AF03 AF0305")
    )
    assert response.status_code == 200
    assert "route" in response.context["adminform"].form.errors
    assert not AidCorridor.objects.exists()


def test_an_unknown_p_code_in_a_route_is_a_form_error(coordinator_client, tree, source):
    response = coordinator_client.post(reverse("admin:access_aidcorridor_add"), corridor_add_post(source, "AF08 AF77"))
    assert response.status_code == 200
    assert "AF77" in str(response.context["adminform"].form.errors["route"])


def test_another_coordinators_corridor_status_cannot_be_changed(coordinator_client, tree, source):
    corridor = create_corridor(
        actor=Actor(),
        regions=[tree["AF03"], tree["AF0305"]],
        status=CorridorStatus.OPEN,
        source=source,
        confidence=Confidence.CONFIRMED,
        name="Salang",
    )
    url = reverse("admin:access_aidcorridor_change_status", args=[corridor.pk])
    response = coordinator_client.post(
        url,
        {
            "status": CorridorStatus.CLOSED,
            "reason": "x",
            "source": source.pk,
            "confidence": "confirmed",
            **split(timezone.now(), "effective_at"),
        },
    )
    assert response.status_code == 403
    corridor.refresh_from_db()
    assert corridor.status == CorridorStatus.OPEN


# --- sources ----------------------------------------------------------------------------------


def test_a_coordinator_records_a_source_through_the_service(coordinator_client, coordinator):
    response = coordinator_client.post(
        reverse("admin:access_source_add"),
        {
            "publisher": "UN Deputy Special Representative",
            "title": "Video link-up statement on Panjshir",
            "url": "https://news.un.org/",
            **split(SEP_1, "published_at"),
            "kind": "un_statement",
            "reliability": "A",
        },
    )
    assert response.status_code == 302
    assert Source.objects.get().history.get().history_user == coordinator


def test_a_rule_only_the_service_knows_shows_on_the_form_with_the_input_kept(coordinator_client, tree, source):
    # Origin and destination come from the route, so only create_corridor's validation sees them equal.
    response = coordinator_client.post(
        reverse("admin:access_aidcorridor_add"), corridor_add_post(source, "AF08 AF0801 AF08")
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "destination must differ from its origin" in str(form.non_field_errors())
    assert form["route"].value() == "AF08 AF0801 AF08"
    assert not AidCorridor.objects.exists() and not CorridorStatusChange.objects.exists()


def test_the_restriction_form_offers_only_corridors_through_the_coordinators_regions(coordinator_client, tree, source):
    def corridor(name, *pcodes):
        return create_corridor(
            actor=Actor(),
            regions=[tree[p] for p in pcodes],
            status=CorridorStatus.OPEN,
            source=source,
            confidence=Confidence.CONFIRMED,
            name=name,
        )

    through_panjshir, salang = corridor("Kabul – Bazarak", "AF03", "AF0801"), corridor("Salang", "AF03", "AF0305")
    response = coordinator_client.get(reverse("admin:access_accessrestriction_add"))
    assert list(response.context["adminform"].form.fields["corridor"].queryset) == [through_panjshir]

    data = restriction_post(tree["AF08"], source, corridor=salang.pk)
    response = coordinator_client.post(reverse("admin:access_accessrestriction_add"), data)
    assert response.status_code == 200 and "corridor" in response.context["adminform"].form.errors
    assert not AccessRestriction.objects.exists()


def test_a_facts_history_shows_when_it_held_first_and_when_each_version_was_recorded(coordinator_client, tree, source):
    cut = outage(tree["AF08"], source)
    coordinator_client.post(
        reverse("admin:access_utilityoutage_changelist"), action_post("restore_selected", [cut], **restore_form(source))
    )
    page = coordinator_client.get(reverse("admin:access_utilityoutage_history", args=[cut.pk])).content.decode()
    in_force = "2021-09-01 08:00 UTC</span> → <span"
    assert in_force in page and "2021-09-05 14:30 UTC" in page
    recorded = f"{cut.history.first().history_date:%Y-%m-%d %H:%M} UTC"
    assert "Recorded at" in page and recorded in page
    assert page.index("2021-09-05 14:30 UTC") < page.index(recorded)


def test_a_crafted_choice_of_another_region_names_the_regions_the_coordinator_covers(coordinator_client, tree, source):
    response = coordinator_client.post(
        reverse("admin:access_accessrestriction_add"), restriction_post(tree["AF03"], source)
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["region"] == [
        "You cover Panjsher (AF08). Choose one of your regions."
    ]
    assert not AccessRestriction.objects.exists()


def test_in_force_filters_follow_is_active_for_ends_and_starts_announced_in_advance(coordinator_client, tree, source):
    soon = timezone.now() + timedelta(hours=1)
    ending_later = restriction(tree["AF0801"], source, ends_at=soon)
    starting_later = restriction(tree["AF0801"], source, starts_at=soon)
    ended = restriction(tree["AF0801"], source, ends_at=SEP_1 + timedelta(days=1))
    announced_cut = outage(tree["AF0801"], source, started_at=soon)
    cut = outage(tree["AF0806"], source)

    def listed(url: str) -> set[int]:
        response = coordinator_client.get(url)
        assert response.status_code == 200
        return {row.pk for row in response.context["cl"].result_list}

    restrictions = reverse("admin:access_accessrestriction_changelist")
    assert listed(f"{restrictions}?active=yes") == {ending_later.pk}
    assert listed(f"{restrictions}?active=no") == {starting_later.pk, ended.pk}
    assert ending_later.is_active and not starting_later.is_active
    outages = reverse("admin:access_utilityoutage_changelist")
    assert listed(f"{outages}?open=yes") == {cut.pk}
    assert listed(f"{outages}?open=no") == {announced_cut.pk}
