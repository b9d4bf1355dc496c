"""The role matrix: every route of the URL configuration, every method, every role.

Routes come from `get_resolver()` (tests/security/routes.py), so a route added anywhere is called
here, and fails until this table says what each role may do with it. Each role calls each route
with GET, POST, PUT, PATCH and DELETE, aimed at organisation B's records and province Y (Parwan),
and the test asserts:

- the outcome (tests/security/matrix.py): login (401 or a redirect to a login page), denied (403),
  hidden (404), no_method (405) or through (authorised: 2xx, another redirect, or 400/409/412 about
  the content); never a 5xx;
- that no marker of another organisation or region appears in any response (org B's subscriber
  emails, its token's name, token hashes and keys, people's addresses, login attempts);
- that a request the role may not make wrote nothing (its SQL is captured).

Roles (tests/security/world.py): anonymous; field staff (an account, no staff flag); partner tokens
of organisation A with one scope each (read, write, alerts, webhooks); a coordinator of Panjsher (province X);
a superuser.
"""

from datetime import timedelta
from fnmatch import fnmatchcase

import pytest
from django.db import transaction
from django.utils import timezone

from access.models import AffectedGroup
from tests.security.matrix import DENIED, HIDDEN, LOGIN, METHODS, NO_METHOD, THROUGH, WRITE_METHODS, run_route
from tests.security.routes import all_routes
from tests.security.world import (
    ANONYMOUS,
    COORDINATOR,
    FIELD_STAFF,
    ROLES,
    SUPERUSER,
    TOKEN_ALERTS,
    TOKEN_READ,
    TOKEN_ROLES,
    TOKEN_WEBHOOKS,
    TOKEN_WRITE,
    build_world,
)

L, D, H, N, T = {LOGIN}, {DENIED}, {HIDDEN}, {NO_METHOD}, {THROUGH}
TOKEN_SCOPES = {TOKEN_READ: "read", TOKEN_WRITE: "write", TOKEN_ALERTS: "alerts", TOKEN_WEBHOOKS: "webhooks"}
# Neither the admin nor the pages take partner tokens: to them a token holder is anonymous.
OUTSIDERS_OF_THE_ADMIN = (ANONYMOUS, FIELD_STAFF, *TOKEN_ROLES)


def every_method(outcomes: set) -> dict:
    return {method: outcomes for method in METHODS}


def read_write(read: set, write: set) -> dict:
    return {"GET": read, **{method: write for method in WRITE_METHODS}}


def every_role(methods: dict) -> dict:
    return {role: methods for role in ROLES}


def admin(coordinator: dict, superuser: dict | None = None) -> dict:
    """An admin route: outsiders are sent to the login page; staff as given."""
    return {
        **{role: every_method(L) for role in OUTSIDERS_OF_THE_ADMIN},
        COORDINATOR: coordinator,
        SUPERUSER: superuser or every_method(T | N),
    }


def change_view(get: set = T, post: set = D) -> dict:
    """An admin change page of another province's record: shown, and a POST refused.

    PUT, PATCH and DELETE are not the admin's methods: it shows the page again (and writes nothing,
    which the matrix checks).
    """
    return {**every_method(get), "POST": post}


def needs(scope: str, partner: set = T, coordinator: set = T, superuser: set = T) -> dict:
    """An API method that needs `scope`: the token with it gets `partner`, tokens without it 403.

    Staff sessions hold every scope (humtrack.api.permissions) but their region rights still apply.
    """
    outcome = {ANONYMOUS: L, FIELD_STAFF: D, COORDINATOR: coordinator, SUPERUSER: superuser}
    for role, token_scope in TOKEN_SCOPES.items():
        outcome[role] = partner if token_scope == scope else D
    return outcome


def api(scope: str = "", **methods: dict) -> dict:
    """An API route: per method, the role -> outcomes from needs(); unlisted methods are not taken.

    The scope check comes before the method check: an unlisted method answers 405 only to a caller
    holding the scope the route asks for (`scope`, or by default read for GET and write otherwise).
    """
    per_method = {}
    for method in METHODS:
        needed = scope or ("read" if method == "GET" else "write")
        per_method[method] = methods.get(method, needs(needed, N, N, N))
    return {role: {method: per_method[method][role] for method in METHODS} for role in ROLES}


def webhooks(**methods: dict) -> dict:
    """A webhooks API route: as api("webhooks"), but a coordinator's session is refused (403) before a
    method the route does not take is (405): it holds the scope, not the right (access.policies)."""
    return api("webhooks", **{method: methods.get(method, needs("webhooks", N, D, N)) for method in METHODS})


def page(get_outsiders: set, writes: set = N) -> dict:
    """The situation pages: for people with an account; tokens are no account here."""
    outsiders = {ANONYMOUS, *TOKEN_ROLES}
    return {role: read_write(get_outsiders if role in outsiders else T, writes) for role in ROLES}


REGION_SCOPED_ADMIN = ("access_region", "access_aidcorridor", "access_utilityoutage", "access_accessrestriction")
REGION_SCOPED_ADMIN += ("needs_needfigure",)
REGION_SCOPED_ADMIN += ("access_severityoverride",)
REGION_SCOPED_ADMIN += ("access_incident",)

# Route name (or the pattern of an unnamed route) -> what each role gets, per method. First match wins.
EXPECTATIONS: list[tuple[str, dict]] = [
    # --- the admin --------------------------------------------------------------------------------
    ("admin:login", every_role(every_method(T | N))),
    ("admin:logout", every_role(every_method(T | N | L))),
    ("admin:index", admin(every_method(T | N))),
    ("admin:password_change*", admin(every_method(T | N))),
    ("admin:jsi18n", admin(every_method(T | N))),
    ("admin:app_list", admin(every_method(T | N))),
    # Without its query parameters the autocomplete refuses everyone.
    ("admin:autocomplete", admin(read_write(D, N), read_write(D, N))),
    # Regions have no public page to redirect to.
    ("admin:view_on_site", admin(every_method(H), every_method(H))),
    # "<id>/" redirects to "<id>/change/", which is checked on its own.
    ("admin/*/<path:object_id>/", every_role(every_method(T | L))),
    ("admin/(?P<url>.*)", every_role(every_method(H | L))),
    # People, groups, login records, partners and their tokens: superusers only.
    ("admin:axes_*_add", admin(every_method(D), every_method(D))),  # records of logins are not made by hand
    ("admin:auth_*", admin(every_method(D))),
    ("admin:axes_*", admin(every_method(D))),
    # Their audit history (new with issue 12): superusers read it; like every history, never "reverted".
    ("admin:humtrack_*_simple_history", admin(every_method(D), change_view())),
    ("admin:humtrack_*", admin(every_method(D))),
    # Alerts: subscriptions hold people's addresses; events and deliveries are the pipeline's record,
    # read-only (its one action, "retry failed", goes through the service).
    # A subscription is stopped (unsubscribe, or inactive), not deleted: the confirmation page shows
    # that its delivery history (read-only) would go, and the deletion is refused.
    # Coordinators manage the subscriptions they created or that follow their regions
    # (access.alerts.subscriptions.subscriptions_visible_to); B's subscriber follows Parwan: hidden from them.
    ("admin:access_subscription_delete", admin(every_method(D), change_view())),
    ("admin:access_subscription_simple_history", admin(every_method(H), change_view())),
    ("admin:access_subscription_history", admin(every_method(H))),
    ("admin:access_subscription_change", admin(every_method(T))),  # not theirs: "does not exist", to the index
    ("admin:access_subscription_*", admin(every_method(T | N))),
    ("admin:access_alert*_add", admin(every_method(D), every_method(D))),
    ("admin:access_alert*_delete", admin(every_method(D), every_method(D))),
    ("admin:access_alert*_change", admin(change_view(), change_view())),
    ("admin:access_alert*", admin(every_method(T | N))),
    # Webhook endpoints hold an organisation's signing secret and where its events go: superusers only
    # (access.policies.can_manage_webhook_endpoint); their deliveries are the pipeline's record, read-only.
    ("admin:access_webhookendpoint_simple_history", admin(every_method(D), change_view())),
    ("admin:access_webhookendpoint_*", admin(every_method(D))),
    ("admin:access_webhookdelivery_add", admin(every_method(D), every_method(D))),
    ("admin:access_webhookdelivery_delete", admin(every_method(D), every_method(D))),
    ("admin:access_webhookdelivery_change", admin(every_method(D), change_view())),
    ("admin:access_webhookdelivery_*", admin(every_method(D))),
    # A past version of an incident shows its details: only to their readers (B's restricted incident in
    # Parwan: not the coordinator of Panjsher).
    ("admin:access_incident_simple_history", admin(change_view(get=D), change_view())),
    # An audit history is read, never "reverted" around the services (access/admin/mixins.py).
    ("admin:*_simple_history", admin(change_view(), change_view())),
    # Status history is append-only, for everyone.
    ("admin:access_statuschange_add", admin(every_method(D), every_method(D))),
    ("admin:access_statuschange_delete", admin(every_method(D), every_method(D))),
    ("admin:access_statuschange_change", admin(change_view(), change_view())),
    ("admin:access_statuschange_*", admin(every_method(T))),
    # Who coordinates where: set by superusers.
    ("admin:access_coordinatorassignment_change", admin(change_view())),
    ("admin:access_coordinatorassignment_add", admin(every_method(D))),
    ("admin:access_coordinatorassignment_delete", admin(every_method(D))),
    ("admin:access_coordinatorassignment_*", admin(every_method(T))),
    # Sources are shared by every province: any coordinator adds and corrects them, nobody deletes.
    ("admin:access_source_delete", admin(every_method(D))),
    ("admin:access_source_*", admin(every_method(T))),
    # Facts of a region: a coordinator sees all, changes (and changes the status of) their own provinces.
    ("admin:access_region_add", admin(every_method(D))),  # regions come from the admin tables
    *[(f"admin:{model}_delete", admin(every_method(D))) for model in REGION_SCOPED_ADMIN],
    *[(f"admin:{model}_change_status", admin(every_method(D))) for model in REGION_SCOPED_ADMIN],
    *[(f"admin:{model}_change", admin(change_view())) for model in REGION_SCOPED_ADMIN],
    *[(f"admin:{model}_*", admin(every_method(T))) for model in REGION_SCOPED_ADMIN],
    # --- the partner API --------------------------------------------------------------------------
    ("api:root", every_role(read_write(T, N))),  # the API root: public like the schema
    ("api:schema", every_role(read_write(T, N))),
    ("api:docs", every_role(read_write(T, N))),
    (r"api/[[]\s\S]*", every_role(every_method(H))),  # the catch-all `api/[\s\S]*` (fnmatch: `[[]` is "[")
    ("api:region-list", api(GET=needs("read"))),
    ("api:region-detail", api(GET=needs("read"))),
    ("api:region-status-history", api(GET=needs("read"))),
    # A region's (and many regions') access severity for a month: read only.
    ("api:region-severity", api(GET=needs("read"))),
    ("api:severity-list", api(GET=needs("read"))),
    # Partners write anywhere; a coordinator's session only in their provinces (Parwan is not theirs).
    ("api:region-status-changes", api(POST=needs("write", coordinator=D))),
    ("api:corridor-status-changes", api(POST=needs("write", partner=D, coordinator=D))),  # B's corridor
    ("api:need-summary", api(GET=needs("read"))),
    ("api:need-hapi-list", api(GET=needs("read"))),
    # Tombstones name only a resource and an id; those of subscriptions are scoped in the view.
    ("api:deletion-list", api(GET=needs("read"))),
    # Bulk uploads by session are for superusers; partners use a token.
    ("api:need-bulk", api(POST=needs("write", coordinator=D))),
    ("api:source-list", api(GET=needs("read"), POST=needs("write"))),
    *[
        (f"api:{resource}-list", api(GET=needs("read"), POST=needs("write", coordinator=D)))
        for resource in ("corridor", "restriction", "outage", "need")
    ],
    # Organisation B's records: partner A reads them and may not change them.
    (
        "api:source-detail",
        api(GET=needs("read"), PUT=needs("write", partner=D), PATCH=needs("write", partner=D)),
    ),
    *[
        (f"api:{resource}-detail", api(GET=needs("read"), PUT=needs("write", D, D), PATCH=needs("write", D, D)))
        for resource in ("corridor", "restriction", "outage", "need")
    ],
    # Subscriptions hold people's addresses: a partner sees its own (B's are not found), a coordinator
    # those following their provinces (B's subscription follows Parwan only).
    ("api:subscription-list", api("alerts", GET=needs("alerts"), POST=needs("alerts"))),
    (
        "api:subscription-detail",
        api(
            "alerts",
            GET=needs("alerts", H, D | H),
            PUT=needs("alerts", H, D | H),
            PATCH=needs("alerts", H, D | H),
            DELETE=needs("alerts", H, D | H),
        ),
    ),
    ("api:alerts-cap", api("read", GET=needs("read"))),
    # Webhook endpoints: a partner manages its own (B's are not found); a superuser's session all of them
    # (but registers none: an endpoint belongs to an organisation, a session has none); a coordinator none.
    ("api:webhook-list", webhooks(GET=needs("webhooks", T, D), POST=needs("webhooks", T, D, D))),
    (
        "api:webhook-detail",
        webhooks(
            GET=needs("webhooks", H, D),
            PUT=needs("webhooks", H, D),
            PATCH=needs("webhooks", H, D),
            DELETE=needs("webhooks", H, D),
        ),
    ),  # fmt: skip
    ("api:webhook-deliveries", webhooks(GET=needs("webhooks", H, D))),
    *[(f"api:webhook-{name}", webhooks(POST=needs("webhooks", H, D))) for name in ("rotate-secret", "backfill")],
    ("api:webhook-redeliver", webhooks(POST=needs("webhooks", H, D))),
    # The incident log: as restrictions (B's incident, in Parwan).
    ("api:incident-list", api(GET=needs("read"), POST=needs("write", coordinator=D))),
    ("api:incident-detail", api(GET=needs("read"), PUT=needs("write", D, D), PATCH=needs("write", D, D))),
    # --- links in alert emails: the signed token is the only key (a forged one opens nothing) ------
    ("alerts:unsubscribe", every_role(read_write(H, H | N))),
    ("alerts:manage", every_role(read_write(H, H | N))),
    # A forged or expired confirmation link: a readable 400, and nothing created.
    ("alerts:confirm", every_role(read_write(T, T | N))),
    # The public "get alerts" page: a form for anyone (an empty POST is a 400 about its content).
    ("alerts:get-alerts", every_role(read_write(T, T | N))),
    # --- the situation pages ----------------------------------------------------------------------
    ("situation:page", page(get_outsiders=L)),
    ("situation:region-details", page(get_outsiders=D | L)),
    # The monthly access snapshot is published, as OCHA's are: anyone reads it; the descriptions and points
    # of non-public incidents stay hidden by sensitivity (tests/security/test_incident_sensitivity.py).
    ("situation:snapshot", page(get_outsiders=T)),
    # An alert email's region link: signed (a forged token opens nothing); people with an account are
    # sent to the situation page.
    ("situation:region-page", page(get_outsiders=H)),
    ("situation:login", every_role(every_method(T | N))),
    # The page script's translations (Django's JavaScriptCatalog): public text, like the script itself.
    ("situation:jsi18n", every_role(read_write(T, T | N))),
    # Django's language switch: anyone may choose the language pages are shown in (a cookie, nothing more).
    ("set_language", every_role(read_write(T, T | N))),
    ("situation:logout", every_role(every_method(T | N | L))),
    # --- probes and metrics (the metrics token is required in production, not on a laptop) ---------
    ("healthz", every_role(every_method(T))),
    ("readyz", every_role(read_write(T, N))),
    ("metrics", every_role(every_method(T))),
]

# Holes found and reported, that the owners of those files are fixing: (route key, role, method) -> why.
# Such a cell is reported as an expected failure (xfail) instead of failing the suite; once fixed the
# route passes and its entry can go.
KNOWN_HOLES: dict[tuple[str, str, str], str] = {}


def expectation_for(key: str):
    for pattern, outcomes in EXPECTATIONS:
        if fnmatchcase(key, pattern):
            return outcomes
    return None


def _iso(day: str) -> str:
    return f"{day}T08:00:00Z"


def fact(world, **fields):
    return {"source": world.records["a_source"].pk, "confidence": "reported", **fields}


# Bodies for the API's writes, so that a missing check shows as a write (an empty body would only
# show a 400). Aimed at province Y and organisation B's records.
PAYLOADS = {
    ("api:region-status-changes", "POST"): lambda w: fact(w, status="inaccessible", reason="Road closed at Charikar"),
    ("api:corridor-status-changes", "POST"): lambda w: fact(w, status="closed", reason="Bridge down"),
    ("api:restriction-list", "POST"): lambda w: fact(
        w,
        region="AF03",
        category="hostilities",
        severity="high",
        affected_groups=["all_aid_workers"],
        starts_at=_iso("2021-09-02"),
    ),
    ("api:outage-list", "POST"): lambda w: fact(w, region="AF03", utility="water", started_at=_iso("2021-09-02")),
    ("api:need-list", "POST"): lambda w: fact(
        w, region="AF0305", sector="HEA", people_in_need=10, period_start="2022-01-01", period_end="2022-12-31"
    ),
    ("api:corridor-list", "POST"): lambda w: fact(w, name="Parwan loop", regions=["AF03", "AF0305"], status="open"),
    ("api:source-list", "POST"): {"publisher": "OCHA", "title": "Flash update 3", "kind": "agency_report"},
    ("api:need-bulk", "POST"): lambda w: {
        "rows": [
            fact(w, region="AF0305", sector="WSH", people_in_need=7, period_start="2022-01-01", period_end="2022-12-31")
        ]
    },
    ("api:subscription-list", "POST"): {"email": "new-subscriber@org-a.example", "name": "New", "regions": ["AF03"]},
    ("api:subscription-detail", "PATCH"): {"name": "Renamed"},
    ("api:webhook-list", "POST"): {"url": "https://hooks.org-a.example/new", "event_types": ["outage.created"]},
    ("api:webhook-detail", "PUT"): {"url": "https://hooks.org-a.example/moved", "event_types": ["outage.created"]},
    ("api:webhook-detail", "PATCH"): {"url": "https://hooks.org-a.example/moved"},
    ("api:webhook-backfill", "POST"): lambda w: {"since": (timezone.now() - timedelta(days=1)).isoformat()},
    ("api:restriction-detail", "PATCH"): {"description": "Lifted at noon"},
    ("api:outage-detail", "PATCH"): {"cause_detail": "Repaired"},
    ("api:need-detail", "PATCH"): {"people_in_need": 1},
    ("api:corridor-detail", "PATCH"): {"notes": "Reopened"},
    ("api:source-detail", "PATCH"): {"title": "Corrected title"},
}
PAYLOADS[("api:incident-list", "POST")] = lambda w: fact(
    w,
    region="AF0305",
    occurred_at=_iso("2021-09-02"),
    category="movement_restrictions",
    incident_type="checkpoint_denial",
    description="Turned back at Charikar",
)
PAYLOADS[("api:incident-detail", "PATCH")] = {"aid_workers_affected": 2}
for _detail in ("restriction", "outage", "need", "corridor", "incident"):
    PAYLOADS[(f"api:{_detail}-detail", "PUT")] = PAYLOADS[(f"api:{_detail}-list", "POST")]
PAYLOADS[("api:source-detail", "PUT")] = PAYLOADS[("api:source-list", "POST")]
PAYLOADS[("api:subscription-detail", "PUT")] = PAYLOADS[("api:subscription-list", "POST")]

ROUTES = all_routes()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module; each route's test runs in a savepoint of this transaction."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            # The affected groups are seeded by a migration; a flushing test before may have emptied them.
            for code in ("all_aid_workers", "women_aid_workers"):
                AffectedGroup.objects.get_or_create(code=code)
            world = build_world()
            # Sessions outlive each route's rolled-back savepoint (a route that logs out undoes nothing).
            world.keep_sessions()
            yield world
            transaction.set_rollback(True)


def test_every_route_has_an_expectation():
    missing = [str(route) for route in ROUTES if expectation_for(route.key) is None]
    assert not missing, "new route without expectation (add it to EXPECTATIONS):\n" + "\n".join(missing)


@pytest.mark.parametrize("route", ROUTES, ids=[route.key for route in ROUTES])
def test_role_matrix(db, world, route):
    expected = expectation_for(route.key)
    if expected is None:
        pytest.fail(f"new route without expectation: {route} (add it to EXPECTATIONS)")
    _, problems = run_route(world, route, lambda role, method: expected[role][method], PAYLOADS)
    known = [KNOWN_HOLES[(route.key, p.split()[0], p.split()[1])] for p in problems if _is_known(route, p)]
    unknown = [p for p in problems if not _is_known(route, p)]
    assert not unknown, f"{route}:\n" + "\n".join(unknown)
    if known:
        pytest.xfail("known hole, reported: " + known[0])


def _is_known(route, problem: str) -> bool:
    role, method = problem.split()[:2]
    return (route.key, role, method) in KNOWN_HOLES
