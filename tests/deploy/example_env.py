"""deploy/.env.example as an environment, for running humtrack's processes under production settings,
and as documentation: every variable, what it does, its default and whether production requires it."""

import os
import re
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


# "NAME=value" sets a variable; "# NAME=value" documents one without setting it.
VARIABLE_LINE = re.compile(r"^(?:#\s*)?([A-Z][A-Z0-9_]*)=")
REQUIRED = "Required in production."


def documented_variables(path: Path = ENV_EXAMPLE) -> dict[str, list[str]]:
    """Every variable the example documents, set or not, with the comment lines just above each
    occurrence (a variable documented twice has two)."""
    documented: dict[str, list[str]] = {}
    comment: list[str] = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if match := VARIABLE_LINE.match(line):
            documented.setdefault(match.group(1), []).append(" ".join(comment))
            comment = []
        elif line.startswith("#"):
            comment.append(line.lstrip("#").strip())
        else:
            comment = []
    return documented


def required_in_production(path: Path = ENV_EXAMPLE) -> set[str]:
    """The variables whose comment says the production settings refuse to start without them."""
    return {name for name, comments in documented_variables(path).items() if any(REQUIRED in c for c in comments)}


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
