"""The production settings with the example environment: the deploy check is clean, unsafe values are
refused, and .env.example documents every variable the settings read."""

import os
import re
import subprocess
import sys

import pytest

from tests.deploy.example_env import DEPLOY, REPO, production_environment, read_env_file

SETTINGS_DIR = REPO / "humtrack" / "settings"
# env.str("NAME", ...), env.int(...), env.db(...), environ.Env().str(...) and the like.
ENV_READ = re.compile(r"\b(?:env|Env\(\))\.(?:str|int|bool|list|db|cache|email_url|float|json|url)\(\s*\"([A-Z0-9_]+)")


def run(command, environment, timeout=120):
    return subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=timeout)


def test_env_example_documents_every_variable_the_settings_read():
    read = {name for path in SETTINGS_DIR.glob("*.py") for name in ENV_READ.findall(path.read_text())}
    assert {"SECRET_KEY", "DATABASE_URL", "HUMTRACK_VAR_DIR"} <= read  # the pattern finds them
    documented = set(read_env_file())
    assert read - documented == set(), "add these to deploy/.env.example"


def test_manage_py_check_deploy_is_clean_under_production_settings(tmp_path):
    result = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        production_environment(tmp_path, DJANGO_SETTINGS_MODULE="humtrack.settings.production"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_entrypoint_check_passes_with_the_example_environment(tmp_path):
    result = run([str(DEPLOY / "entrypoint.sh"), "check"], production_environment(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.integration
def test_entrypoint_check_reaches_the_real_database(tmp_path):
    """With a real DATABASE_URL the check also runs the database checks, over a real connection."""
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        from tests.infrastructure import require_postgresql

        require_postgresql()
    result = run(
        [str(DEPLOY / "entrypoint.sh"), "check", "--database", "default"],
        production_environment(tmp_path, DATABASE_URL=database_url),
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("overrides", "refusal"),
    [
        ({"DEBUG": "1"}, "DEBUG must be off"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"DATABASE_URL": "sqlite:///humtrack.sqlite3"}, "PostgreSQL"),
        ({"CELERY_BROKER_URL": "filesystem://"}, "shared broker"),
        ({"EMAIL_URL": ""}, "EMAIL_URL"),
        ({"METRICS_TOKEN": "too-short"}, "METRICS_TOKEN"),
        ({"SITE_URL": ""}, "SITE_URL"),
        ({"SITE_URL": "http://127.0.0.1:8000"}, "SITE_URL"),
        ({"CELERY_VISIBILITY_TIMEOUT": "60"}, "CELERY_VISIBILITY_TIMEOUT"),
        ({"ALERTS_LEASE_SECONDS": "300"}, "ALERTS_LEASE_SECONDS"),
    ],
)
def test_production_settings_refuse_unsafe_values(tmp_path, overrides, refusal):
    result = run([str(DEPLOY / "entrypoint.sh"), "check"], production_environment(tmp_path, **overrides))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert refusal in result.stderr


def test_production_settings_turn_on_https_protections(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_PROXY_SSL_HEADER, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_SSL_REDIRECT, s.ALLOWED_HOSTS, s.CSRF_TRUSTED_ORIGINS, s.DEBUG)"
    )
    result = run(
        [sys.executable, "-c", code],
        production_environment(
            tmp_path,
            DJANGO_SETTINGS_MODULE="humtrack.settings.production",
            ALLOWED_HOSTS="a.example.org,b.example.org",
            CSRF_TRUSTED_ORIGINS="",
        ),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == (
        "('HTTP_X_FORWARDED_PROTO', 'https') 31536000 True True True ['a.example.org', 'b.example.org'] "
        "['https://a.example.org', 'https://b.example.org'] False"
    )
