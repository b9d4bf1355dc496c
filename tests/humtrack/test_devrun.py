"""`make run`'s process tree (humtrack.devrun) stops whole on Ctrl-C.

The integration tests start the tree the way `make run` starts it: `python -m humtrack.devrun` with the embedded
defaults (SQLite and the filesystem broker under a temporary HUMTRACK_VAR_DIR), as the leader of its
own process group, like a shell's foreground job. Ctrl-C is a SIGINT to that whole group. Every process
of the tree carries a marker in its environment, so one left behind is found even once orphaned.
"""

import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from humtrack.devrun import GRACE_SECONDS
from tests.infrastructure import free_port

ROOT = Path(__file__).resolve().parents[2]
MARKER = "HUMTRACK_DEVRUN_TEST_MARKER"
# Settings that would point the tree at shared services (CI sets them): the laptop defaults instead.
SERVICE_VARIABLES = ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "EMAIL_URL", "HUMTRACK_REQUIRE_SERVICES")


def laptop_environment(var_dir: Path, port: int, marker: str) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if name not in SERVICE_VARIABLES}
    environment.update(
        DJANGO_SETTINGS_MODULE="humtrack.settings.base",
        HUMTRACK_VAR_DIR=str(var_dir),
        PORT=str(port),
        PYTHONUNBUFFERED="1",
        **{MARKER: marker},
    )
    return environment


def marked_processes(marker: str) -> dict[int, str]:
    """Live processes (pid → command line) whose environment carries the marker."""
    found = {}
    needle = f"{MARKER}={marker}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if state != "Z":  # a zombie runs nothing; only its parent's wait() is missing
            found[int(entry.name)] = command
    return found


def assert_none_left(marker: str, output: list[str], *, within: float):
    deadline = time.monotonic() + within
    while marked_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = marked_processes(marker)
    assert not left, f"still running: {left}\n" + "".join(output[-30:])


def wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} within {timeout:.0f} s")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (a local http:// URL)
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory):
    """A migrated SQLite database to copy: migrating once keeps each test to the tree's own start and stop."""
    var_dir = tmp_path_factory.mktemp("devrun-template")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "--verbosity", "0"],
        cwd=ROOT, env=laptop_environment(var_dir, free_port(), "migrate"), check=True, timeout=300,
    )  # fmt: skip
    return var_dir / "humtrack.sqlite3"


def start_tree(argv: list[str], var_dir: Path, migrated_database: Path):
    """Start `argv` as a foreground job would run (leader of its own process group); wait until the
    web server answers and the Celery worker is ready. Returns the process, its marker and its output."""
    var_dir.mkdir()
    shutil.copy(migrated_database, var_dir / "humtrack.sqlite3")
    marker, port = uuid.uuid4().hex, free_port()
    tree = subprocess.Popen(
        argv, cwd=ROOT, env=laptop_environment(var_dir, port, marker), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, process_group=0,
    )  # fmt: skip
    output: list[str] = []
    threading.Thread(target=lambda: output.extend(tree.stdout), daemon=True).start()
    wait_for(lambda: answers(f"http://127.0.0.1:{port}/healthz"), timeout=60, what="the web server answers")
    wait_for(lambda: any("celery@" in line and " ready." in line for line in output), timeout=60, what="worker ready")
    return tree, marker, output


DEVRUN = [sys.executable, "-m", "humtrack.devrun"]
# `make run | tee run.log`: Ctrl-C ends tee too, so devrun's output goes nowhere while it stops.
PIPED = ["sh", "-c", f"{shlex.join(DEVRUN)} | cat"]


def ctrl_c(tree):
    os.killpg(tree.pid, signal.SIGINT)  # a terminal's Ctrl-C: SIGINT to the whole foreground job


def terminal_closed(tree):
    os.killpg(tree.pid, signal.SIGHUP)


def sigterm_to_devrun(tree):
    tree.send_signal(signal.SIGTERM)  # a process manager or `kill` stopping devrun alone


@pytest.mark.integration
@pytest.mark.parametrize(
    ("argv", "stop"),
    [(DEVRUN, ctrl_c), (PIPED, ctrl_c), (DEVRUN, terminal_closed), (DEVRUN, sigterm_to_devrun)],
    ids=["ctrl-c", "ctrl-c-with-output-piped", "terminal-closed", "sigterm-to-devrun"],
)
def test_stopping_make_run_stops_every_process_it_started(argv, stop, tmp_path, migrated_database):
    tree, marker, output = start_tree(argv, tmp_path / "var", migrated_database)
    try:
        started = marked_processes(marker)
        # devrun, the web server, beat, the worker and its two pool processes.
        assert len(started) >= 6, started

        stop(tree)

        # Within devrun's grace period and a margin: nothing left, not even an orphan.
        assert_none_left(marker, output, within=GRACE_SECONDS + 15)
        assert tree.wait(timeout=5) != 0
    finally:
        for pid in marked_processes(marker):
            os.kill(pid, signal.SIGKILL)
        tree.wait(timeout=10)


@pytest.mark.integration
def test_a_child_that_exits_stops_the_others(tmp_path, migrated_database):
    tree, marker, output = start_tree(DEVRUN, tmp_path / "var", migrated_database)
    try:
        web = next(pid for pid, command in marked_processes(marker).items() if "runserver" in command)

        os.kill(web, signal.SIGKILL)  # the web server dies (a crash, an OOM kill)

        assert tree.wait(timeout=GRACE_SECONDS + 15) != 0
        assert_none_left(marker, output, within=5)
    finally:
        for pid in marked_processes(marker):
            os.kill(pid, signal.SIGKILL)
        tree.wait(timeout=10)


# A main process that ignores SIGTERM while its own child runs on: a Celery worker stuck in its pool's
# shutdown, in miniature. Prints its child's pid, then waits for it forever.
STUBBORN = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = os.fork()
if child == 0:
    time.sleep(600)
    os._exit(0)
print(child, flush=True)
os.waitpid(child, 0)
"""


def supervise_stubborn_children(grace: int, marker: str) -> subprocess.Popen:
    """devrun's supervisor with `grace` seconds, over two stubborn children, as a foreground job."""
    program = (
        "import sys; from humtrack import devrun; "
        f"devrun.GRACE_SECONDS = {grace}; "
        f"sys.exit(devrun.Supervisor({{'one': [sys.executable, '-c', {STUBBORN!r}], "
        f"'two': [sys.executable, '-c', {STUBBORN!r}]}}).run())"
    )
    tree = subprocess.Popen(
        [sys.executable, "-c", program], cwd=ROOT, env={**os.environ, MARKER: marker}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, process_group=0,
    )  # fmt: skip
    # Both children and both grandchildren, besides the supervisor.
    wait_for(lambda: len(marked_processes(marker)) == 5, timeout=20, what="the stubborn children are up")
    return tree


def test_a_child_that_ignores_the_stop_is_killed_with_its_children_after_the_grace_period():
    marker = uuid.uuid4().hex
    tree = supervise_stubborn_children(grace=1, marker=marker)
    try:
        ctrl_c(tree)

        assert tree.wait(timeout=10) == 128 + signal.SIGINT
        output = tree.stdout.read()
        assert_none_left(marker, [output], within=2)
        assert "one did not stop within 1 s: killing it" in output
    finally:
        for pid in marked_processes(marker):
            os.kill(pid, signal.SIGKILL)


def test_a_second_ctrl_c_kills_at_once():
    marker = uuid.uuid4().hex
    tree = supervise_stubborn_children(grace=60, marker=marker)
    try:
        ctrl_c(tree)
        time.sleep(0.5)
        ctrl_c(tree)

        assert tree.wait(timeout=10) == 128 + signal.SIGINT
        assert_none_left(marker, [tree.stdout.read()], within=2)
    finally:
        for pid in marked_processes(marker):
            os.kill(pid, signal.SIGKILL)
