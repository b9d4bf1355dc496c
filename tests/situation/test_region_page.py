"""The region page an alert email links to (situation/views.py region_page, situation/region_page.py):
readable without an account, in the subscriber's language and time zone, showing nothing internal."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import translation

from access.alerts import links
from access.alerts.subscriptions import create_subscription
from access.choices import (
    AccessStatus,
    AffectedGroupCode,
    Confidence,
    ConstraintCategory,
    Reliability,
    Severity,
    Utility,
)
from access.services import change_access_status, record_outage, record_restriction
from humtrack.actor import Actor
from humtrack.dates import reader_moment
from tests.access.alerts.test_views_get_alerts import PANJSHIR_DARI, afghanistan  # noqa: F401 (the fixture)
from tests.factories import OrganisationFactory, SourceFactory, UserFactory, make_coordinator

pytestmark = pytest.mark.django_db

CLOSED_AT = datetime(2021, 9, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def panjshir(afghanistan):  # noqa: F811
    """Panjshir inaccessible since 1 September 2021, recorded by a named coordinator for a partner."""
    source = SourceFactory(
        publisher="OCHA", title="Flash update 3", url="https://example.org/flash-3", reliability=Reliability.B
    )
    recorder = Actor(
        user=UserFactory(username="rahima.coordinator"), organisation=OrganisationFactory(name="Logistics Cluster")
    )
    change_access_status(
        region=afghanistan["AF08"],
        status=AccessStatus.INACCESSIBLE,
        reason="Checkpoints closed at the valley entrance",
        source=source,
        confidence=Confidence.CONFIRMED,
        actor=recorder,
        effective_at=CLOSED_AT,
    )
    record_restriction(
        actor=recorder,
        region=afghanistan["AF0801"],
        category=ConstraintCategory.MOVEMENT_RESTRICTIONS,
        severity=Severity.HIGH,
        affected_groups=[AffectedGroupCode.ALL_AID_WORKERS],
        description="No movement into Bazarak.",
        starts_at=CLOSED_AT,
        source=source,
        confidence=Confidence.REPORTED,
    )
    record_outage(
        actor=recorder, region=afghanistan["AF08"], utility=Utility.MOBILE_NETWORK, started_at=CLOSED_AT, source=source,
        confidence=Confidence.CONFIRMED,
    )  # fmt: skip
    return afghanistan


def subscriber(tree, language="fa-af", time_zone="Asia/Kabul", email="officer@example.org"):
    return create_subscription(
        actor=Actor(), email=email, regions=[tree["AF08"]], language=language, time_zone=time_zone
    )


def page_path(subscription, pcode) -> str:
    return links.region_page_url(subscription.pk, pcode).removeprefix("http://127.0.0.1:8000")


def dari(label) -> str:
    """A choice's label as the Dari catalogue gives it (the page is in the subscriber's language)."""
    with translation.override("fa-af"):
        return str(label)


def test_the_page_shows_the_status_why_source_and_facts_in_the_subscribers_language_and_zone(client, panjshir):
    subscription = subscriber(panjshir)
    response = client.get(page_path(subscription, "AF08"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fa-af" dir="rtl">' in html
    assert '<meta name="robots" content="noindex">' in html
    assert response["Referrer-Policy"] == "same-origin"
    assert PANJSHIR_DARI in html
    assert f'id="region-status">{dari(AccessStatus.INACCESSIBLE.label)}<' in html
    assert "Checkpoints closed at the valley entrance" in html
    assert "Flash update 3" in html and "https://example.org/flash-3" in html and dari(Reliability.B.label) in html
    assert dari(Confidence.CONFIRMED.label) in html
    assert "No movement into Bazarak." in html and dari(Utility.MOBILE_NETWORK.label) in html
    since = reader_moment(CLOSED_AT, time_zone="Asia/Kabul", language="fa-af")
    assert since.text in html and "14:30" in html  # 10:00 UTC is 14:30 in Kabul
    assert links.manage_url(subscription.pk) in html


def test_the_page_names_no_one_who_recorded_a_fact_nor_other_subscribers(client, panjshir):
    subscription = subscriber(panjshir)
    subscriber(panjshir, email="someone.else@example.org")
    html = client.get(page_path(subscription, "AF08")).content.decode()
    assert "rahima.coordinator" not in html
    assert "someone.else@example.org" not in html and "officer@example.org" not in html


def test_an_inherited_status_says_from_which_region(client, panjshir):
    subscription = subscriber(panjshir, language="en")
    html = client.get(page_path(subscription, "AF0801")).content.decode()
    assert '<html lang="en" dir="ltr">' in html
    assert 'id="status-inherited"' in html and "Panjsher</bdi> (AF08)" in html
    assert 'id="region-status">Inaccessible<' in html


@pytest.mark.parametrize("case", ["forged", "another region", "deleted subscription"])
def test_a_bad_token_is_a_readable_404_that_says_nothing(client, panjshir, case):
    subscription = subscriber(panjshir)
    path = {
        "forged": reverse("situation:region-page", args=["AF08", f"{subscription.pk}.AF08:forged"]),
        # A token made for Panjshir does not open Parwan.
        "another region": reverse(
            "situation:region-page", args=["AF03", links.region_page_token(subscription.pk, "AF08")]
        ),
        "deleted subscription": page_path(subscription, "AF08"),
    }[case]
    if case == "deleted subscription":
        subscription.delete()
    response = client.get(path)
    assert response.status_code == 404
    html = response.content.decode()
    assert "This link does not work" in html
    assert "Inaccessible" not in html and "Panjsher" not in html


def test_a_signed_in_coordinator_gets_the_full_situation_page_on_that_region(client, panjshir):
    subscription = subscriber(panjshir)
    client.force_login(make_coordinator(panjshir["AF08"]))
    response = client.get(page_path(subscription, "AF0801"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('situation:page')}?within=AF0801"


def test_in_pashto_the_page_is_right_to_left_with_the_pashto_name_and_the_solar_hijri_date(client, panjshir):
    subscription = subscriber(panjshir, language="ps")
    response = client.get(page_path(subscription, "AF08"))
    html = response.content.decode()
    assert '<html lang="ps" dir="rtl">' in html
    assert response["Content-Language"] == "ps"
    assert panjshir["AF08"].name_ps in html
    since = reader_moment(CLOSED_AT, time_zone="Asia/Kabul", language="ps")
    assert since.solar_hijri and since.solar_hijri in html
