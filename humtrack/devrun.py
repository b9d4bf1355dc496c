"""`make run`: the web server, a Celery worker and beat, together; Ctrl-C stops all three.

A small process manager on the standard library alone (`make run` installs only requirements.txt).
Each child runs in a session (and so a process group) of its own: a terminal's Ctrl-C reaches devrun,
not the children, and devrun stops them itself. It asks each child's main process to stop (SIGTERM:
a warm shutdown for the worker, which stops its own pool), waits a bounded grace period, then SIGKILLs
every child's whole process group, so a worker stuck in its pool's shutdown (billiard's
`_help_stuff_finish`) goes, and its pool processes with it. A second Ctrl-C skips the wait. The same
happens on SIGTERM, on SIGHUP (the terminal closed) and when any child exits by itself. Output lines
are prefixed with the child's name; when nobody reads them any more (`make run | tee` and Ctrl-C ends
tee too), they are dropped and the shutdown goes on.
"""

import os
import signal
import subprocess  # (starts our own interpreter with fixed arguments)  # nosec B404
import sys
import threading
import time
from pathlib import Path
from typing import IO, cast

from django.conf import settings


def processes(port: str) -> dict[str, list[str]]:
    """What runs: the web server, a real Celery worker (prefork, two processes) and beat."""
    python = sys.executable
    return {
        "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        "worker": [
            python, "-m", "celery", "-A", "humtrack", "worker", "--loglevel", "INFO", "--concurrency", "2",
            "--without-gossip", "--without-mingle",
        ],
        "beat": [
            python, "-m", "celery", "-A", "humtrack", "beat", "--loglevel", "INFO",
            "--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME,
        ],
    }  # fmt: skip


# Seconds the children get to stop cleanly before their process groups are killed.
GRACE_SECONDS = 10
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def banner(port: str) -> str:
    base = f"http://127.0.0.1:{port}"
    database = settings.DATABASES["default"]
    if settings.EMAIL_BACKEND == "humtrack.mail.EmlFileBackend":
        mailbox = f"{settings.EMAIL_FILE_PATH} (one .eml file per email)"
    else:
        mailbox = f"SMTP {settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    return "\n".join(
        [
            "",
            "humtrack is starting:",
            f"  admin       {base}/admin/   (user: coordinator, password: {settings.HUMTRACK_DEMO_PASSWORD})",
            f"  situation   {base}/situation/",
            f"  API         {base}/api/v1/   docs: {base}/api/docs/",
            f"  database    {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}",
            f"  broker      {settings.CELERY_BROKER_URL}",
            f"  mailbox     {mailbox}",
            "  Ctrl-C stops the web server, the worker and beat (a second Ctrl-C kills them at once).",
            "",
        ]
    )


class Console:
    """Prefixed lines on stdout, from several threads; silent once stdout is gone (a closed pipe)."""

    def __init__(self, width: int):
        self.width = width
        self.lock = threading.Lock()
        self.gone = False

    def write(self, name: str, line: str):
        with self.lock:
            if self.gone:
                return
            try:
                sys.stdout.write(f"{time.strftime('%H:%M:%S')} {name:<{self.width}} | {line.rstrip()}\n")
                sys.stdout.flush()
            except (BrokenPipeError, OSError):
                self.gone = True
                # Python flushes stdout again at exit; point it where that cannot fail.
                sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (lives until the process ends)


class Child:
    """One process, leader of its own session and process group (its group id is its pid)."""

    def __init__(self, name: str, argv: list[str], console: Console):
        self.name = name
        self.returncode: int | None = None
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)  # nosec B603
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            text=True,
            errors="replace",
            start_new_session=True,
        )
        self.pid = self.process.pid
        # Read to the end even when nobody sees the lines: a child blocked on a full pipe never stops.
        self.output = threading.Thread(target=self._relay, args=(console,), daemon=True)
        self.output.start()

    def _relay(self, console: Console):
        # Popen opens stdout when it is given stdout=PIPE, as __init__ does: it is never None here.
        with cast(IO[str], self.process.stdout) as stream:
            for line in stream:
                console.write(self.name, line)

    def exited(self) -> bool:
        """Whether the main process has exited; it stays unreaped (a zombie), so its pid and group id
        cannot be reused before kill_group() has run."""
        if self.returncode is not None:
            return True
        try:
            info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return True
        return info is not None

    def ask_to_stop(self):
        """SIGTERM to the main process alone: it stops its own children (the worker its pool)."""
        if not self.exited():
            os.kill(self.pid, signal.SIGTERM)

    def kill_group(self):
        """SIGKILL whatever is left in the child's process group (a stuck worker, its pool processes)."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def reap(self) -> int:
        if self.returncode is None:
            self.returncode = self.process.wait()
        return self.returncode


class Supervisor:
    def __init__(self, commands: dict[str, list[str]]):
        self.console = Console(width=max(map(len, [*commands, "devrun"])))
        self.commands = commands
        self.children: list[Child] = []
        self.stop_signals: list[int] = []

    def say(self, line: str):
        self.console.write("devrun", line)

    def _on_signal(self, signum, frame):
        self.stop_signals.append(signum)

    def run(self) -> int:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_signal)
        for name, argv in self.commands.items():
            if self.stop_signals:
                break
            self.children.append(Child(name, argv, self.console))
            self.say(f"{name} started (pid {self.children[-1].pid})")
        while not self.stop_signals and not any(child.exited() for child in self.children):
            time.sleep(0.2)
        if self.stop_signals:
            self.say(f"{signal.Signals(self.stop_signals[0]).name} received: stopping")
            self.stop()
            return 128 + self.stop_signals[0]
        first = next(child for child in self.children if child.exited())
        self.say(f"{first.name} exited: stopping the others")
        self.stop()
        return first.reap() or 1

    def stop(self):
        asked = len(self.stop_signals)
        for child in self.children:
            child.ask_to_stop()
        deadline = time.monotonic() + GRACE_SECONDS
        while time.monotonic() < deadline and not all(child.exited() for child in self.children):
            if len(self.stop_signals) > asked:
                break  # asked again (a second Ctrl-C): no more waiting
            time.sleep(0.1)
        for child in self.children:
            if not child.exited():
                self.say(f"{child.name} did not stop within {GRACE_SECONDS} s: killing it")
            child.kill_group()  # also when its main process has exited: its pool processes may not have
        for child in self.children:
            self.say(f"{child.name} stopped (exit {child.reap()})")
        for child in self.children:
            child.output.join(timeout=2)


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "humtrack.settings.base")
    import django

    django.setup()
    port = str(settings.PORT)
    # Beat's schedule file sits in var/, which a laptop on PostgreSQL and Redis has no other use for.
    Path(settings.CELERY_BEAT_SCHEDULE_FILENAME).parent.mkdir(parents=True, exist_ok=True)
    print(banner(port), flush=True)
    sys.exit(Supervisor(processes(port)).run())


if __name__ == "__main__":
    main()
