"""The real infrastructure tests run against (PostgreSQL, Redis, a free port): reach it, or skip on a
laptop, or fail in CI.

CI sets HUMTRACK_REQUIRE_SERVICES=1: there a missing PostgreSQL or Redis fails the test instead of
skipping it, so the integration tests are never silently skipped.
"""

import configparser
import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from urllib.parse import urlparse

import psycopg
import pytest
from django.db import connection

from tests.deploy.example_env import DEPLOY

REQUIRE_SERVICES = os.environ.get("HUMTRACK_REQUIRE_SERVICES") == "1"


def _missing(what: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required here (HUMTRACK_REQUIRE_SERVICES=1) but is not available.")
    pytest.skip(f"{what} is not available; CI runs this test against the real service.")


def redis_url() -> str:
    """The Redis to test against (TEST_REDIS_URL, default redis://127.0.0.1:6379/15), reachable."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=2).close()
    except OSError:
        _missing(f"Redis at {parsed.hostname}:{parsed.port or 6379}")
    return url


def require_postgresql():
    """For tests of row locks and real concurrency, which SQLite cannot show."""
    if connection.vendor != "postgresql":
        _missing("PostgreSQL (set DATABASE_URL)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def slow_writes(model, seconds: float, *, each: str = "ROW"):
    """Make every INSERT into `model`'s table take `seconds` longer (PostgreSQL), per ROW or per STATEMENT.

    For tests that need a write to stay open long enough for something to happen meanwhile: a second
    request arriving, a worker killed between two commits.
    """
    require_postgresql()
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_slow_write() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN PERFORM pg_sleep({float(seconds)}); RETURN NEW; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER test_slow_write BEFORE INSERT ON {table} "
            f"FOR EACH {'STATEMENT' if each == 'STATEMENT' else 'ROW'} EXECUTE FUNCTION test_slow_write()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER test_slow_write ON {table}")
            cursor.execute("DROP FUNCTION test_slow_write()")


class RedisServer:
    """A `redis-server` of the test's own, on a free loopback port, that a test may kill, restart or freeze.

    Never the machine's Redis (127.0.0.1:6379): the rest of the suite and CI use that one. Keeps nothing on
    disk, as the machine's: a restart starts empty, the worst case for a broker.
    """

    def __init__(self, directory):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            _missing("redis-server (Debian's redis-server package)")
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        log = open(os.path.join(self.directory, f"redis-{self.port}.log"), "a")  # noqa: SIM115
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        """SIGKILL: every connection dropped at once, everything it held lost."""
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)  # a frozen server must be able to die
        self.process.kill()
        self.process.wait(timeout=10)

    def restart(self, down_for: float = 2.0) -> None:
        """Killed, down for `down_for` seconds, started again empty on the same port."""
        self.kill()
        time.sleep(down_for)
        self.start()

    def freeze(self) -> None:
        """SIGSTOP: connections are still accepted by the kernel, nothing is ever answered."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class PgBouncer:
    """A `pgbouncer` of the test's own (Debian's package) on a free loopback port, in front of the test's
    PostgreSQL: deploy/pgbouncer/pgbouncer.ini's [pgbouncer] section, with the test's port, files and pool.

    Never the machine's PgBouncer service (make pgbouncer-deps installs it without starting it). It lets
    every client in as the test database's user (auth_type trust, on loopback), and passes any database
    name through to the same PostgreSQL. `servers()` asks its admin console how many connections it
    holds to PostgreSQL.
    """

    def __init__(self, directory, *, pool_size: int):
        self.binary = shutil.which("pgbouncer", path=os.environ.get("PATH", "") + ":/usr/sbin")
        if self.binary is None:
            _missing("pgbouncer (Debian's pgbouncer package: make pgbouncer-deps)")
        self.port = free_port()
        self.pool_size = pool_size
        # PgBouncer refuses to run as root: it then runs as `nobody`.
        self.user = "nobody" if os.geteuid() == 0 else None
        self.directory = directory / "pgbouncer"
        self.directory.mkdir()
        self.process: subprocess.Popen | None = None

    def _write_config(self) -> str:
        database = connection.settings_dict
        deployed = configparser.ConfigParser()
        deployed.read(DEPLOY / "pgbouncer" / "pgbouncer.ini")
        config = configparser.ConfigParser()
        config["databases"] = {"*": f"host={database['HOST'] or '127.0.0.1'} port={database['PORT'] or 5432}"}
        config["pgbouncer"] = {
            **deployed["pgbouncer"],
            "listen_addr": "127.0.0.1",
            "listen_port": str(self.port),
            "unix_socket_dir": "",
            "auth_type": "trust",
            "auth_file": str(self.directory / "userlist.txt"),
            "default_pool_size": str(self.pool_size),
            "max_db_connections": str(self.pool_size),
            "stats_users": database["USER"] or "postgres",
            # Its log to its stderr (stdout.log), no pidfile: it reads its files as root, before it becomes
            # `nobody`, who could not write below pytest's private tmp folder.
            "logfile": "",
            "pidfile": "",
        }
        (self.directory / "userlist.txt").write_text(f'"{database["USER"] or "postgres"}" ""\n')
        path = self.directory / "pgbouncer.ini"
        with path.open("w") as file:
            config.write(file)
        return str(path)

    def database_url(self) -> str:
        """The test database's URL, through this PgBouncer."""
        database = connection.settings_dict
        return f"postgres://{database['USER'] or 'postgres'}@127.0.0.1:{self.port}/{database['NAME']}"

    def start(self) -> "PgBouncer":
        command = [self.binary, *(["-u", self.user] if self.user else []), self._write_config()]
        self.process = subprocess.Popen(
            command, stdout=(self.directory / "stdout.log").open("w"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.directory / "stdout.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"pgbouncer did not start on port {self.port}")

    def servers(self) -> int:
        """Connections PgBouncer holds to PostgreSQL for the test database now (its admin console)."""
        database = connection.settings_dict
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=database["USER"] or "postgres", dbname="pgbouncer", autocommit=True
        ) as console:
            servers = console.execute("SHOW SERVERS")
            columns = [column.name for column in servers.description or []]
            return sum(
                1 for row in servers.fetchall() if dict(zip(columns, row, strict=True))["database"] == database["NAME"]
            )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: PgBouncer closes its connections and exits
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def __enter__(self) -> "PgBouncer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
