"""The laptop's defaults make their folders when they are used: SQLite's and the filesystem broker's
when the settings choose them, var/mail/ when the first email is written; none when services are named."""

import json
import subprocess
import sys

from tests.deploy.example_env import REPO

PROGRAM = """
import json, django
from pathlib import Path
django.setup()
from django.core.mail import send_mail
var = Path({var!r})
made = sorted(str(path.relative_to(var)) for path in var.rglob("*")) if var.exists() else []
send_mail("Road to Rukha closed", "The Panjshir valley road is closed.", "a@example.org", ["b@example.org"])
mail = sorted(path.name for path in (var / "mail").iterdir()) if (var / "mail").exists() else []
print(json.dumps({{"made": made, "mail": mail}}))
"""


def laptop(tmp_path, **services: str) -> dict:
    """Import the base settings with nothing else set (not even this process's DATABASE_URL), send an email."""
    var = tmp_path / "var"
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "humtrack.settings.base",
        "HUMTRACK_VAR_DIR": str(var),
        **services,
    }
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(var=str(var))],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_laptop_defaults_make_their_folders_and_the_mailbox_comes_with_the_first_email(tmp_path):
    folders = laptop(tmp_path)
    assert folders["made"] == ["broker", "broker/control", "broker/processed", "broker/queue"]
    assert len(folders["mail"]) == 1 and folders["mail"][0].endswith(".eml")


def test_named_services_make_no_folder(tmp_path):
    folders = laptop(
        tmp_path,
        DATABASE_URL="postgres://humtrack@127.0.0.1:5432/humtrack",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        EMAIL_URL="consolemail://",
    )
    assert folders == {"made": [], "mail": []}
