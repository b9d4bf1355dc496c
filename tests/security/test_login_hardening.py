"""Logins: throttled failures, strong passwords, safe cookies; partner keys stored hashed, never logged."""

import json
import logging
import logging.config
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse

from humtrack.models import ApiToken, TokenScope, hash_token_key
from tests.factories import OrganisationFactory, UserFactory, make_coordinator
from tests.security.principals import make_token, token_header
from tests.security.snapshots import database_state

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"  # tests.factories.UserFactory's
LOGIN_URLS = ["admin:login", "situation:login"]


def log_in(client: Client, url_name: str, username: str, password: str):
    return client.post(reverse(url_name), {"username": username, "password": password}, REMOTE_ADDR="198.51.100.7")


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def throttled():
    # The test settings switch django-axes off for every other test; these tests are about it.
    with override_settings(AXES_ENABLED=True):
        yield


@pytest.mark.parametrize("url_name", LOGIN_URLS)
def test_failed_logins_lock_the_account_out_at_the_limit_even_for_the_right_password(throttled, url_name):
    user = make_coordinator(username="coordinator")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = log_in(client, url_name, user.username, "wrong-password")
        assert response.status_code == 200  # the form again, with its error
    assert log_in(client, url_name, user.username, "wrong-password").status_code == 429

    response = log_in(client, url_name, user.username, PASSWORD)
    assert response.status_code == 429
    assert not is_signed_in(client)


def test_failures_below_the_limit_do_not_stop_the_right_password(throttled):
    user = make_coordinator(username="coordinator")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "admin:login", user.username, "wrong-password")
    assert log_in(client, "admin:login", user.username, PASSWORD).status_code == 302
    assert is_signed_in(client)


def test_a_locked_out_account_does_not_lock_out_other_coordinators_behind_the_same_proxy(throttled):
    # Behind nginx every request has the proxy's address: the lockout is per username at an address.
    attacked, colleague = make_coordinator(username="attacked"), make_coordinator(username="colleague")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(Client(), "admin:login", attacked.username, "wrong-password")
    assert log_in(Client(), "admin:login", attacked.username, PASSWORD).status_code == 429

    client = Client()
    assert log_in(client, "admin:login", colleague.username, PASSWORD).status_code == 302
    assert is_signed_in(client)


@pytest.mark.parametrize(
    "password",
    ["short", "password123", "qwertyuiop", "12345678901234", "coordinator1", "Coordinator2021"],
)
def test_weak_passwords_are_refused(password):
    user = UserFactory.build(username="coordinator", email="coordinator@example.org")
    with pytest.raises(ValidationError):
        validate_password(password, user=user)


def test_a_strong_password_is_accepted():
    user = UserFactory.build(username="coordinator", email="coordinator@example.org")
    validate_password("Parwan-corridor-" + secrets.token_hex(4), user=user)


def test_the_admin_refuses_to_set_a_weak_password_and_keeps_the_old_one():
    user = make_coordinator(username="coordinator")
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("admin:password_change"),
        {"old_password": PASSWORD, "new_password1": "password123", "new_password2": "password123"},
    )
    assert response.status_code == 200
    assert "This password is too common" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


PRODUCTION_SETTINGS = [
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_SAMESITE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "X_FRAME_OPTIONS",
    "DEBUG",
]


@pytest.fixture(scope="module")
def production_values(tmp_path_factory):
    """The security settings as humtrack.settings.production computes them, from a production environment."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "humtrack.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "humtrack.example.org",
        "DATABASE_URL": "postgres://humtrack@127.0.0.1:5432/humtrack",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "CACHE_URL": "rediscache://127.0.0.1:6379/1",
        "EMAIL_URL": "smtp://127.0.0.1:25",
        "METRICS_TOKEN": secrets.token_urlsafe(32),
        "SITE_URL": "https://humtrack.example.org",
        "HUMTRACK_VAR_DIR": str(tmp_path_factory.mktemp("production-var")),
    }
    environment.pop("DEBUG", None)
    script = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {PRODUCTION_SETTINGS!r}}}))"
    )
    output = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def test_production_settings_make_cookies_secure_and_force_https(production_values):
    assert production_values["DEBUG"] is False
    assert production_values["SESSION_COOKIE_SECURE"] is True
    assert production_values["SESSION_COOKIE_HTTPONLY"] is True
    assert production_values["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert production_values["CSRF_COOKIE_SECURE"] is True
    assert production_values["SECURE_SSL_REDIRECT"] is True
    assert production_values["SECURE_HSTS_SECONDS"] >= 31536000
    assert production_values["X_FRAME_OPTIONS"] == "DENY"


def test_under_production_settings_a_login_sets_secure_httponly_cookies(production_values):
    values = {name: production_values[name] for name in PRODUCTION_SETTINGS if name != "DEBUG"}
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    user = make_coordinator(username="coordinator")
    with override_settings(**values):
        client = Client()
        plain_http = client.get(reverse("admin:login"))
        assert plain_http.status_code == 301 and plain_http["Location"].startswith("https://")

        https = {"HTTP_X_FORWARDED_PROTO": "https"}
        form = client.get(reverse("admin:login"), **https)
        assert "max-age=" in form["Strict-Transport-Security"]
        assert form.cookies["csrftoken"]["secure"]
        response = client.post(
            reverse("admin:login"),
            {"username": user.username, "password": PASSWORD},
            **https,
        )
        assert response.status_code == 302
        session_cookie = response.cookies[settings.SESSION_COOKIE_NAME]
        assert session_cookie["secure"] and session_cookie["httponly"]
        assert session_cookie["samesite"] in ("Lax", "Strict")


def test_a_partner_key_is_stored_only_as_its_hash():
    token, key = make_token(OrganisationFactory(name="Partner A"), TokenScope.READ)
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hash_token_key(key) and len(stored.key_hash) == 64
    assert key not in json.dumps(database_state(), default=str)
    assert stored.prefix == key[:8] and len(stored.prefix) < len(key)


class RecordingHandler(logging.Handler):
    """Formats every record with the project's own formatters, as they would be written."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        formatters = settings.LOGGING["formatters"]
        self.json = logging.config.DictConfigurator({}).configure_formatter(formatters["json"])
        self.plain = logging.Formatter(formatters["plain"]["format"])

    def emit(self, record):
        record.request_id = getattr(record, "request_id", "-")
        self.lines.append(self.json.format(record))
        self.lines.append(self.plain.format(record))
        self.lines.append(repr(record.__dict__))


@pytest.fixture
def every_log_line():
    handler = RecordingHandler()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def test_a_partner_key_never_appears_in_the_logs(every_log_line):
    partner = OrganisationFactory(name="Partner A")
    _, read_key = make_token(partner, TokenScope.READ)
    _, revoked_key = make_token(partner, TokenScope.WRITE)
    ApiToken.objects.filter(key_hash=hash_token_key(revoked_key)).update(revoked_at="2021-09-01T00:00:00Z")
    unknown_key = ApiToken.generate_key()
    client = Client()
    api = "/api/v1/regions/"
    responses = [
        client.get(api, **token_header(read_key)),  # allowed
        client.post(api, {}, content_type="application/json", **token_header(read_key)),  # 403: no write scope
        client.get("/api/schema/", **token_header(revoked_key)),  # 401
        client.get("/api/schema/", **token_header(unknown_key)),  # 401
        client.get("/api/v1/no-such-thing/", **token_header(read_key)),  # 404
    ]
    assert [r.status_code for r in responses] == [200, 403, 401, 401, 404]
    assert every_log_line, "the requests logged nothing: the capture is not working"
    for key in (read_key, revoked_key, unknown_key):
        assert not [line for line in every_log_line if key in line]


def test_a_signed_in_coordinators_browser_cannot_be_made_to_write_from_another_site():
    """Cross-site request forgery: without the page's CSRF token, a coordinator's session writes nothing."""
    from access.models import StatusChange
    from tests.factories import SourceFactory, make_tree

    panjsher = make_tree()["AF08"]
    coordinator = make_coordinator(panjsher, username="coordinator")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(coordinator, backend="django.contrib.auth.backends.ModelBackend")
    source = SourceFactory()
    form = {
        "status": "inaccessible",
        "reason": "Forged",
        "source": source.pk,
        "confidence": "reported",
        "effective_at_0": "2021-09-01",
        "effective_at_1": "08:00:00",
    }
    admin_form = browser.post(reverse("admin:access_region_change_status", args=[panjsher.pk]), form)
    api = browser.post(
        reverse("api:region-status-changes", args=[panjsher.pcode]),
        {"status": "inaccessible", "reason": "Forged", "source": source.pk, "confidence": "reported"},
        content_type="application/json",
    )
    assert admin_form.status_code == 403
    assert api.status_code == 403
    assert not StatusChange.objects.filter(region=panjsher).exists()


@pytest.mark.parametrize("url_name", LOGIN_URLS)
@pytest.mark.parametrize("target", ["https://attacker.example/", "//attacker.example/admin/", "/\\attacker.example"])
def test_a_login_never_redirects_to_another_site(url_name, target):
    user = make_coordinator(username="coordinator")
    response = Client().post(
        reverse(url_name) + "?next=" + target, {"username": user.username, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert "attacker.example" not in response["Location"]
