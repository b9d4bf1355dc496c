"""The stack a fault run (bench/faults.py) runs against, and the means to hurt it.

As deploy/ runs it: gunicorn (deploy/gunicorn.conf.py), two Celery workers and beat, each through
deploy/entrypoint.sh with the production settings, on the run's PostgreSQL database and a Redis of its
own (tests.infrastructure.RedisServer: never the machine's, which the run kills and freezes). An
aiosmtpd server that misbehaves on demand (tests/integration/test_alerts_harness.py's RecordingHandler)
and records when it accepted each message.

A supervisor thread stands in for systemd or Kubernetes: a process that exits without the run having
killed it is recorded (its exit code: a finding) and started again, as a restart policy would.
"""

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from bench.memory import processes_in_group
from tests.deploy.example_env import DEPLOY, production_environment
from tests.infrastructure import free_port
from tests.integration.test_alerts_harness import RecordingHandler

HOST = "humtrack.example.org"


class TimedHandler(RecordingHandler):
    """RecordingHandler that also keeps when each message was accepted, and which client port sent the
    last one or is waiting for its QUIT (to find the worker process on the other end)."""

    def __init__(self):
        super().__init__()
        self.accepted = []  # (epoch seconds, recipients, message)
        self.last_peer_port = None
        self.quit_peer_port = None

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if answer.startswith("250"):
            with self.lock:
                self.accepted.append((time.time(), *self.messages[-1]))
                self.last_peer_port = session.peer[1]
        return answer

    async def handle_QUIT(self, server, session, envelope):
        if self.quit_delay:
            self.quit_peer_port = session.peer[1]
        return await super().handle_QUIT(server, session, envelope)

    def accepted_count(self) -> int:
        with self.lock:
            return len(self.accepted)


def pid_holding_port(local_port: int, candidates: list[int]) -> int | None:
    """Which of `candidates` (worker process groups) has the loopback TCP socket bound to `local_port`.

    Linux's /proc: the socket's inode from /proc/net/tcp, then the process whose fd points at it.
    """
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == local_port:
            inode = fields[9]
            break
    if inode is None:
        return None
    for group in candidates:
        for pid in processes_in_group(group):
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            for fd in fds:
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                        return group
                except OSError:
                    continue
    return None


class Stack:
    """gunicorn, two workers and beat, started, supervised, killed and stopped by name."""

    def __init__(self, workdir: Path, *, database_url: str, redis_url: str, smtp_port: int, timings: dict):
        self.workdir = workdir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.common = {
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": redis_url,
            "CACHE_URL": "rediscache://" + redis_url.split("://", 1)[1].rsplit("/", 1)[0] + "/1",
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "ALLOWED_HOSTS": HOST,
            "SITE_URL": f"https://{HOST}",
            "HUMTRACK_API_RATE": "1000000/minute",  # one partner driving the whole run
            "WORKER_METRICS_PORT": "",
            **timings,
        }
        self.commands = {"web": "web", "worker-a": "worker", "worker-b": "worker", "beat": "beat"}
        self.processes: dict[str, subprocess.Popen] = {}
        self.starts: dict[str, int] = {}
        self.expected_exit: set[str] = set()
        self.deaths: list[dict] = []  # exits the run did not cause
        self.lock = threading.Lock()
        self.started_at = time.time()
        self._stopping = threading.Event()
        self._supervisor = threading.Thread(target=self._supervise, daemon=True)

    def _environment(self, name: str) -> dict:
        folder = self.workdir / name
        folder.mkdir(exist_ok=True)
        # Beat serves no metrics: without the variable it needs no folder (entrypoint.sh makes none for it).
        extra = {} if name == "beat" else {"PROMETHEUS_MULTIPROC_DIR": str(folder / "prometheus")}
        if name == "web":
            extra.update(HOST="127.0.0.1", PORT=str(self.port), WEB_CONCURRENCY="2")
        elif name.startswith("worker"):
            extra.update(CELERY_QUEUES="default,alerts", CELERY_HOSTNAME=f"{name}@%h", CELERY_CONCURRENCY="2")
        else:
            extra.update(CELERY_BEAT_SCHEDULE=str(folder / "celerybeat-schedule"))
        return production_environment(folder, **self.common, **extra)

    def start(self, name: str) -> None:
        log = (self.workdir / f"{name}.log").open("a")
        # A session of its own: a SIGKILL to the group takes the worker's pool processes with it, as a
        # container's OOM kill or systemd's KillMode=control-group would.
        process = subprocess.Popen(
            [str(DEPLOY / "entrypoint.sh"), self.commands[name]],
            cwd=DEPLOY.parent, env=self._environment(name), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        with self.lock:
            self.processes[name] = process
            self.starts[name] = self.starts.get(name, 0) + 1
            self.expected_exit.discard(name)

    def start_all(self) -> None:
        for name in self.commands:
            self.start(name)
        self._supervisor.start()

    def kill(self, name: str) -> int:
        """SIGKILL to the process and everything it started; returns the pid killed."""
        with self.lock:
            self.expected_exit.add(name)
            process = self.processes[name]
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)
        return process.pid

    def worker_holding_port(self, port: int | None) -> str | None:
        if port is None:
            return None
        with self.lock:
            workers = {p.pid: name for name, p in self.processes.items() if name.startswith("worker")}
        group = pid_holding_port(port, list(workers))
        return workers.get(group) if group is not None else None

    def _supervise(self) -> None:
        while not self._stopping.wait(0.5):
            with self.lock:
                exited = [
                    (name, p.returncode)
                    for name, p in self.processes.items()
                    if p.poll() is not None and name not in self.expected_exit
                ]
            for name, code in exited:
                self.deaths.append({"process": name, "exit_code": code, "at": round(time.time() - self.started_at, 1)})
                time.sleep(1)  # a restart policy's delay
                if not self._stopping.is_set():
                    self.start(name)

    def stop_all(self) -> dict[str, int | None]:
        """SIGTERM (gunicorn's graceful stop, Celery's warm shutdown), then SIGKILL after 60 s.
        Returns each process's exit code (None: it had to be killed)."""
        self._stopping.set()
        if self._supervisor.is_alive():
            self._supervisor.join(timeout=5)
        codes: dict[str, int | None] = {}
        with self.lock:
            processes = dict(self.processes)
            self.expected_exit.update(processes)
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for name, process in processes.items():
            try:
                codes[name] = process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                codes[name] = None
            try:
                os.killpg(process.pid, signal.SIGKILL)  # pool processes left behind, if any
            except ProcessLookupError:
                pass
        return codes

    def errors_logged(self) -> dict[str, int]:
        """ERROR and CRITICAL lines each process logged (JSON lines, production's format)."""
        counts = {}
        for name in self.commands:
            path = self.workdir / f"{name}.log"
            text = path.read_text(errors="replace") if path.exists() else ""
            counts[name] = sum(
                1 for line in text.splitlines() if '"levelname": "ERROR"' in line or '"levelname": "CRITICAL"' in line
            )
        return counts
