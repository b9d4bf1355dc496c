"""access/admin/severity.py and the regions list's severity column: coordinators override a month's indicator
in their own regions only, with a reason and a source; the list shows the computed score beside; clearing
lets it stand again; a region flagged for review this month says so on the regions list."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from access.choices import AccessStatus, Confidence, ConstraintCategory, Severity
from access.models import AccessRestriction, SeverityOverride
from access.services import change_access_status
from humtrack.actor import SYSTEM
from tests.factories import make_coordinator

pytestmark = pytest.mark.django_db

SEPTEMBER = date(2021, 9, 1)


@pytest.fixture
def coordinator(client, tree):
    user = make_coordinator(tree["AF08"], username="panjsher-coordinator")
    client.force_login(user)
    return user


def override_post(region, source, **changes):
    return {
        "region": region.pk,
        "month": "2021-09-01",
        "indicator": ConstraintCategory.HOSTILITIES,
        "score": "3",
        "reason": "Fighting in every district of the valley.",
        "source": source.pk,
        "confidence": Confidence.CONFIRMED,
        "change_reason": "",
    } | changes


def restriction(region, severity, source, starts_at):
    return AccessRestriction.objects.create(
        region=region, category=ConstraintCategory.HOSTILITIES, severity=severity, starts_at=starts_at,
        source=source, confidence=Confidence.REPORTED,
    )  # fmt: skip


def test_a_coordinator_overrides_an_indicator_in_their_region_with_reason_and_source(client, coordinator, tree, source):
    response = client.post(reverse("admin:access_severityoverride_add"), override_post(tree["AF0801"], source))
    assert response.status_code == 302, response.content.decode()[:3000]
    override = SeverityOverride.objects.get()
    assert (override.region, override.month, override.score) == (tree["AF0801"], SEPTEMBER, 3)
    assert override.history.get().history_user == coordinator


def test_x_is_a_score_a_coordinator_can_give(client, coordinator, tree, source):
    client.post(reverse("admin:access_severityoverride_add"), override_post(tree["AF0801"], source, score=""))
    assert SeverityOverride.objects.get().score is None


def test_another_province_and_a_missing_reason_are_refused(client, coordinator, tree, source):
    url = reverse("admin:access_severityoverride_add")
    other = client.post(url, override_post(tree["AF0305"], source))
    assert other.status_code == 200 and "region" in other.context["adminform"].form.errors
    no_reason = client.post(url, override_post(tree["AF0801"], source, reason="  "))
    assert no_reason.status_code == 200 and "reason" in no_reason.context["adminform"].form.errors
    assert not SeverityOverride.objects.exists()


def test_the_list_shows_the_computed_score_beside_and_clearing_lets_it_stand(client, coordinator, tree, source):
    restriction(tree["AF0801"], Severity.HIGH, source, datetime(2021, 9, 5, tzinfo=UTC))
    client.post(reverse("admin:access_severityoverride_add"), override_post(tree["AF0801"], source))
    override = SeverityOverride.objects.get()

    listing = client.get(reverse("admin:access_severityoverride_changelist"))
    row = listing.context["cl"].result_list[0]
    assert (row.score, row.computed) == (3, 2)
    assert "computed from the evidence" in listing.content.decode().lower()

    cleared = client.post(
        reverse("admin:access_severityoverride_changelist"),
        {"action": "clear_selected", "_selected_action": [override.pk]},
    )
    assert cleared.status_code == 302
    assert not SeverityOverride.objects.exists()
    assert override.history.filter(history_type="-").exists()


def test_the_regions_list_flags_a_region_whose_computed_level_disagrees_with_its_status(
    client, coordinator, tree, source
):
    now = timezone.now()
    change_access_status(
        region=tree["AF08"], status=AccessStatus.ACCESSIBLE, reason="test", source=source,
        confidence=Confidence.CONFIRMED, actor=SYSTEM, effective_at=now - timedelta(minutes=5), silent=True,
    )  # fmt: skip
    listing = client.get(reverse("admin:access_region_changelist"))
    assert "flagged-for-review" not in listing.content.decode()

    # Extreme hostilities this month in Shutul, while Panjsher (and so Shutul) says "accessible".
    restriction(tree["AF0806"], Severity.EXTREME, source, now.replace(day=1, hour=0, minute=0, second=0))
    listing = client.get(reverse("admin:access_region_changelist"))
    flagged = {
        region.pcode for region in listing.context["cl"].result_list if region.severity_this_month.flagged_for_review
    }
    assert flagged == {"AF08", "AF0806"}  # the country has no status: never flagged
    assert "⚑ Flagged for review" in listing.content.decode()
    only_flagged = client.get(reverse("admin:access_region_changelist") + "?flagged=yes")
    assert {region.pcode for region in only_flagged.context["cl"].result_list} == {"AF08", "AF0806"}


def test_changing_an_override_keeps_its_region_month_and_indicator(client, coordinator, tree, source):
    client.post(reverse("admin:access_severityoverride_add"), override_post(tree["AF0801"], source))
    override = SeverityOverride.objects.get()
    url = reverse("admin:access_severityoverride_change", args=[override.pk])
    # A crafted POST naming another region and indicator changes only the score, reason and source.
    response = client.post(
        url,
        override_post(tree["AF0305"], source, score="1", reason="Fighting moved north.", indicator="denial_of_needs"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    override.refresh_from_db()
    assert (override.region, override.indicator, override.score, override.reason) == (
        tree["AF0801"], ConstraintCategory.HOSTILITIES, 1, "Fighting moved north.",
    )  # fmt: skip
    assert SeverityOverride.objects.count() == 1
