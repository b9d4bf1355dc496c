"""Two organisations, two provinces, every role: the world the role matrix runs in.

Province X is Panjsher (AF08), where the coordinator works; province Y is Parwan (AF03), which they
do not cover. Organisation A holds the partner tokens under test; organisation B's records sit beside
A's everywhere, with markers (subscriber emails, a token name) that must appear only to those
entitled to them.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.test import Client

from access.alerts.webhooks.endpoints import register_endpoint
from access.choices import (
    AccessStatus,
    Confidence,
    ConstraintCategory,
    CorridorStatus,
    IncidentType,
    Sensitivity,
    Severity,
    Utility,
)
from access.models import AlertDelivery, AlertEvent, Subscription, WebhookDelivery, WebhookEvent
from access.services import change_access_status, create_corridor, record_incident, record_outage, record_restriction
from access.services.severity import set_severity_override
from humtrack.actor import Actor
from humtrack.models import TokenScope
from needs.services import record_need_figure
from tests.factories import OrganisationFactory, SourceFactory, UserFactory, make_coordinator, make_tree
from tests.security.principals import make_token

ANONYMOUS = "anonymous"
FIELD_STAFF = "field_staff"
TOKEN_READ = "token_read"
TOKEN_WRITE = "token_write"
TOKEN_ALERTS = "token_alerts"
TOKEN_WEBHOOKS = "token_webhooks"
COORDINATOR = "coordinator"
SUPERUSER = "superuser"
ROLES = (ANONYMOUS, FIELD_STAFF, TOKEN_READ, TOKEN_WRITE, TOKEN_ALERTS, TOKEN_WEBHOOKS, COORDINATOR, SUPERUSER)
TOKEN_ROLES = (TOKEN_READ, TOKEN_WRITE, TOKEN_ALERTS, TOKEN_WEBHOOKS)
# Sessions log in with the model backend (django-axes' backend authenticates, it does not load users).
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
SEP_1 = datetime(2021, 9, 1, tzinfo=UTC)
B_WEBHOOK_URL = "https://hooks.org-b.example/humtrack-feed"
B_INCIDENT_DETAIL = "org-b-restricted-incident-detail"
B_INCIDENT_LATITUDE = 35.04321


@dataclass
class World:
    tree: dict
    organisation_a: object
    organisation_b: object
    users: dict
    keys: dict  # role -> token key (organisation A); "organisation_b" -> B's key
    records: dict  # "a"/"b" + kind -> record: the other organisation's / province's records to aim at
    # marker text -> the roles entitled to see it; every other role must never receive it.
    markers: dict = field(default_factory=dict)

    sessions: dict = field(default_factory=dict)  # role -> session key, when kept (keep_sessions)

    def client(self, role: str) -> Client:
        if role in TOKEN_ROLES:
            return Client(HTTP_AUTHORIZATION=f"Token {self.keys[role]}")
        client = Client()
        if role in self.sessions:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[role]
        elif role in self.users:
            client.force_login(self.users[role], backend=MODEL_BACKEND)
        return client

    def keep_sessions(self) -> None:
        """Sign every person in once; each client() then starts from a fresh cookie jar on that session."""
        for role, user in self.users.items():
            client = Client()
            client.force_login(user, backend=MODEL_BACKEND)
            self.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value


def subscribe(email: str, organisation, *regions) -> Subscription:
    subscription = Subscription.objects.create(email=email, name=email.split("@")[0], organisation=organisation)
    subscription.regions.set(regions)
    return subscription


def build_world() -> World:
    tree = make_tree()
    x, y = tree["AF08"], tree["AF03"]
    organisation_a = OrganisationFactory(name="Organisation A")
    organisation_b = OrganisationFactory(name="Organisation B")
    a, b = Actor(organisation=organisation_a), Actor(organisation=organisation_b)

    users = {
        FIELD_STAFF: UserFactory(username="field-officer", email="field.officer@humtrack.example"),
        COORDINATOR: make_coordinator(x, username="coordinator-panjsher"),
        SUPERUSER: UserFactory(username="root", email="root@humtrack.example", is_staff=True, is_superuser=True),
    }
    users[COORDINATOR].email = "coordinator.panjsher@humtrack.example"
    users[COORDINATOR].save(update_fields=["email"])
    keys = {
        TOKEN_READ: make_token(organisation_a, TokenScope.READ)[1],
        TOKEN_WRITE: make_token(organisation_a, TokenScope.WRITE)[1],
        TOKEN_ALERTS: make_token(organisation_a, TokenScope.ALERTS)[1],
        TOKEN_WEBHOOKS: make_token(organisation_a, TokenScope.WEBHOOKS)[1],
    }
    token_b, keys["organisation_b"] = make_token(
        organisation_b, TokenScope.READ, TokenScope.WRITE, TokenScope.ALERTS, name="org-b-field-sync-token"
    )

    source_a = SourceFactory(organisation=organisation_a, title="Organisation A situation report")
    source_b = SourceFactory(organisation=organisation_b, title="Organisation B situation report")
    fact = {"confidence": Confidence.REPORTED}
    records = {
        "a_source": source_a,
        "b_source": source_b,
        "a_restriction": record_restriction(
            actor=a,
            affected_groups=["all_aid_workers"],
            region=tree["AF0801"],
            category=ConstraintCategory.HOSTILITIES,
            severity=Severity.HIGH,
            starts_at=SEP_1,
            source=source_a,
            **fact,
        ),
        "b_restriction": record_restriction(
            actor=b,
            affected_groups=["women_aid_workers"],
            region=tree["AF0305"],
            category=ConstraintCategory.MOVEMENT_RESTRICTIONS,
            severity=Severity.MODERATE,
            starts_at=SEP_1,
            source=source_b,
            **fact,
        ),
        "a_outage": record_outage(
            actor=a, region=x, utility=Utility.INTERNET, started_at=SEP_1, source=source_a, **fact
        ),
        "b_outage": record_outage(
            actor=b, region=y, utility=Utility.ELECTRICITY, started_at=SEP_1, source=source_b, **fact
        ),
        "a_need": record_need_figure(
            actor=a,
            region=tree["AF0801"],
            sector="HEA",
            people_in_need=1200,
            period_start=date(2021, 1, 1),
            period_end=date(2021, 12, 31),
            source=source_a,
            **fact,
        ),
        "b_need": record_need_figure(
            actor=b,
            region=tree["AF0305"],
            sector="FSC",
            people_in_need=5400,
            period_start=date(2021, 1, 1),
            period_end=date(2021, 12, 31),
            source=source_b,
            **fact,
        ),
        "b_corridor": create_corridor(
            actor=b,
            name="Charikar – Jabal Saraj",
            regions=[y, tree["AF0305"]],
            status=CorridorStatus.OPEN,
            source=source_b,
            **fact,
        ),
        "b_status_change": change_access_status(
            region=y,
            status=AccessStatus.CONSTRAINED,
            reason="Checkpoints on the Charikar road",
            source=source_b,
            actor=b,
            effective_at=SEP_1,
            **fact,
        ),
        "a_status_change": change_access_status(
            region=x,
            status=AccessStatus.SEVERELY_CONSTRAINED,
            reason="Fighting in the valley",
            source=source_a,
            actor=a,
            effective_at=SEP_1,
            **fact,
        ),
        "b_token": token_b,
        # Province Y's severity override (a superuser's, as coordinators of Y would make it).
        "b_severity_override": set_severity_override(
            actor=Actor(user=users[SUPERUSER]),
            region=tree["AF0305"],
            month=SEP_1.date(),
            indicator=ConstraintCategory.MOVEMENT_RESTRICTIONS,
            score=2,
            reason="Checkpoints on the Charikar road",
            source=source_b,
            **fact,
        ),
    }
    # django-axes' records of logins: who tried from where is for the superuser only.
    attempt = {"username": "field-officer", "ip_address": "198.51.100.23", "user_agent": "Field phone"}
    attempt_with_path = {**attempt, "http_accept": "text/html", "path_info": "/admin/login/"}
    records["access_attempt"] = AccessAttempt.objects.create(
        **attempt_with_path, get_data="", post_data="", failures_since_start=2
    )
    records["access_log"] = AccessLog.objects.create(**attempt_with_path)
    records["access_failure_log"] = AccessFailureLog.objects.create(**attempt_with_path, locked_out=False)

    records["a_subscription_x"] = subscribe("a-panjsher-subscriber@org-a.example", organisation_a, x)
    records["a_subscription_y"] = subscribe("a-parwan-subscriber@org-a.example", organisation_a, y)
    records["b_subscription_x"] = subscribe("b-panjsher-subscriber@org-b.example", organisation_b, x)
    records["b_subscription_y"] = subscribe("b-parwan-subscriber@org-b.example", organisation_b, y)

    # What the alert pipeline recorded for B's change in Parwan (the event is written with the change).
    records["b_alert_event"] = AlertEvent.objects.get(status_change=records["b_status_change"])
    records["b_alert_delivery"] = AlertDelivery.objects.create(
        event=records["b_alert_event"], subscription=records["b_subscription_y"], status="sent"
    )

    # Organisation B's webhook endpoint and a delivery to it: its URL is B's business (and superusers');
    # its signing secret is shown to no one after registration.
    records["b_webhook_endpoint"], b_webhook_secret = register_endpoint(
        organisation=organisation_b, url=B_WEBHOOK_URL, event_types=["region.status_changed"], actor=b
    )
    webhook_event = WebhookEvent.objects.create(
        event_type="region.status_changed", occurred_at=SEP_1, payload={}, fanned_out_at=SEP_1
    )
    records["b_webhook_delivery"] = WebhookDelivery.objects.create(
        event=webhook_event, endpoint=records["b_webhook_endpoint"], message_id="msg_org_b_delivery", status="failed"
    )

    # Organisation B's restricted incident in Parwan: its description and point are B's and the superuser's
    # (access.policies.can_read_incident_details); everyone else sees only that it happened.
    records["b_incident"] = record_incident(
        actor=b,
        region=tree["AF0305"],
        occurred_at=SEP_1,
        category=ConstraintCategory.VIOLENCE_AGAINST_AID,
        incident_type=IncidentType.STAFF_THREATENED,
        source=source_b,
        sensitivity=Sensitivity.RESTRICTED,
        description=B_INCIDENT_DETAIL,
        latitude=B_INCIDENT_LATITUDE,
        longitude=69.04321,
        **fact,
    )

    # Subscriber emails: the creating organisation (its alerts token) and coordinators of a followed region.
    markers = {
        "a-panjsher-subscriber@org-a.example": {SUPERUSER, COORDINATOR, TOKEN_ALERTS},
        "a-parwan-subscriber@org-a.example": {SUPERUSER, TOKEN_ALERTS},
        "b-panjsher-subscriber@org-b.example": {SUPERUSER, COORDINATOR},
        "b-parwan-subscriber@org-b.example": {SUPERUSER},
        # Organisation B's token: only the superuser manages tokens; hashes and keys go to nobody.
        "org-b-field-sync-token": {SUPERUSER},
        token_b.key_hash: set(),
        keys["organisation_b"]: set(),
        # People's addresses: the superuser (user admin) and the person themselves.
        "field.officer@humtrack.example": {SUPERUSER, FIELD_STAFF},
        "coordinator.panjsher@humtrack.example": {SUPERUSER, COORDINATOR},
        "198.51.100.23": {SUPERUSER},
        B_WEBHOOK_URL: {SUPERUSER},
        b_webhook_secret: set(),
        B_INCIDENT_DETAIL: {SUPERUSER},
        str(B_INCIDENT_LATITUDE): {SUPERUSER},
    }
    for role, key in keys.items():
        if role in TOKEN_ROLES:
            markers[key] = set()
    return World(tree, organisation_a, organisation_b, users, keys, records, markers)
