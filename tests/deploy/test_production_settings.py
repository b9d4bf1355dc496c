"""The production settings with the example environment: the deploy check is clean, unsafe values are
refused, each variable the example marks "Required in production." is, and importing the settings
creates no folder. (tests/humtrack/settings/test_base_env.py: the example documents every variable read.)"""

import os
import subprocess
import sys

import pytest

from tests.deploy.example_env import DEPLOY, REPO, production_environment, read_env_file, required_in_production

PRODUCTION = {"DJANGO_SETTINGS_MODULE": "humtrack.settings.production"}


def run(command, environment, timeout=120):
    return subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=timeout)


def without(environment: dict[str, str], *names: str) -> dict[str, str]:
    return {name: value for name, value in environment.items() if name not in names}


def test_manage_py_check_deploy_is_clean_under_production_settings(tmp_path):
    result = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        production_environment(tmp_path, DJANGO_SETTINGS_MODULE="humtrack.settings.production"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_the_example_marks_the_services_and_secrets_production_cannot_do_without():
    assert required_in_production() == {
        *("SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "METRICS_TOKEN"),
        *("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "EMAIL_URL"),
    }


@pytest.mark.parametrize("name", sorted(required_in_production()))
def test_production_settings_refuse_to_start_without_a_required_variable(tmp_path, name):
    """Unset, each falls back to the laptop's default, which production refuses, naming the variable."""
    result = run(
        [sys.executable, "manage.py", "check", "--deploy"],
        without(production_environment(tmp_path, **PRODUCTION), name),
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr.strip().splitlines()[-1]


def test_production_settings_start_with_the_required_variables_alone_and_create_no_folder(tmp_path):
    """Every other variable has a default production accepts; no folder is made at import (the deploy
    makes them: the image, entrypoint.sh, the units), not even the var/ folder that is named."""
    example = read_env_file()
    var_dir = tmp_path / "var"
    environment = {
        **without(production_environment(tmp_path, **PRODUCTION), *example),
        **{name: example[name] for name in required_in_production()},
        **PRODUCTION,
        "HUMTRACK_VAR_DIR": str(var_dir),
    }
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], environment)
    assert result.returncode == 0, result.stderr
    assert not var_dir.exists()


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
        ({"ALERTS_LEASE_SECONDS": "5"}, "ALERTS_LEASE_SECONDS"),
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
