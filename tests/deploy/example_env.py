"""deploy/.env.example as an environment, for running humtrack's processes under production settings."""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
DEPLOY = REPO / "deploy"
ENV_EXAMPLE = DEPLOY / ".env.example"


def read_env_file(path: Path = ENV_EXAMPLE) -> dict[str, str]:
    """KEY=VALUE lines as docker compose and systemd read them: comments and blank lines skipped,
    one pair of surrounding double quotes removed."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, separator, value = line.partition("=")
        assert separator, f"{path.name}: not KEY=VALUE: {line!r}"
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        values[key.strip()] = value
    return values


def production_environment(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The example environment, with writable folders under tmp_path and this machine's Python.

    Starts from a minimal environment, not this process's: a developer's or CI's DATABASE_URL,
    CELERY_BROKER_URL or DJANGO_SETTINGS_MODULE must not leak into what is being checked.
    """
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "TMPDIR": str(tmp_path),
        "PYTHON": sys.executable,
        **read_env_file(),
        "HUMTRACK_VAR_DIR": str(tmp_path / "var"),
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    environment.update(overrides)
    return environment
