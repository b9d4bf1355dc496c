"""The fault run (`make fault-run`): status changes through the real stack while it is hurt, and what
reached the subscribers' mailboxes.

The stack (bench/fault_stack.py): gunicorn, two Celery workers and beat as deploy/ runs them, a
PostgreSQL database of the run's own (`fault_<name>`, DATABASE_URL must name PostgreSQL), a Redis of its
own, an SMTP server on loopback. A country of districts, each followed by some of FULL.subscribers
people (the country, a province, one or two districts; some read English, some Dari or Pashto). A
partner changes district statuses over the REST API with its token, one change every few seconds,
retrying a failed request with the same Idempotency-Key as a partner would. Meanwhile the faults of
the config's schedule, each logged with its time: the relay answers 451 to a share of first offers,
drops every connection at its 20th message, stalls, stalls its QUIT while the worker on the other end
is SIGKILLed, goes down; a worker SIGKILLed mid-batch; Redis killed (it comes back empty) and frozen;
PostgreSQL slowed. Then the run waits until the pipeline has nothing left to do.

Measured, from outside the pipeline: the (change, subscriber) pairs expected, worked out from who
follows which region and the changes the database holds (not from AlertDelivery, the system under
test); the pairs received, read from each accepted email's text (every change's reason is unique, and a
follow-up lists several); lost and doubled pairs; latency from the change's commit (its 201) to the
SMTP server's 250; processes that died on their own; API answers 5xx or none. Written to
bench/faults.json and printed as a table (docs/alerts.md, "A fault run").

Flood control is on (a short window, so follow-ups carry several changes); the hourly cap is lifted
and nobody reads a digest: either would hold alerts for hours, past any run's end.
"""

import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "faults.json"
REASON = re.compile(r"fault-run change (\d+) of run ([0-9a-f]{8})")
OPEN_STATES = ("pending", "batched", "sending", "failed_temporary")
# The log entries that are a fault (the others say one is over, or what came back).
INJECTED = {
    *("smtp_451_first_offers", "smtp_drop_at", "smtp_stall", "smtp_quit_stall", "worker_sigkill", "relay_down"),
    *("redis_kill", "redis_freeze", "postgresql_slow"),
}


@dataclass(frozen=True)
class Config:
    subscribers: int
    provinces: int
    districts_per_province: int
    changes: int
    seconds_between_changes: float
    faults: tuple  # (seconds after the first change, fault name, its argument)
    settle_seconds: float  # nothing open and nothing arriving for this long: quiescent
    give_up_seconds: float  # after the last change
    timings: dict = field(default_factory=dict)


FULL = Config(
    subscribers=300,
    provinces=4,
    districts_per_province=6,
    changes=48,
    seconds_between_changes=3.5,
    faults=(
        (2, "smtp_451_first_offers", 5),  # one first offer in 5, for the rest of the run
        (10, "smtp_drop_at", 20),  # every connection dropped at its 20th message, for the rest of the run
        (20, "smtp_stall", 15),  # 0.3 s before each RCPT answer, for 15 s
        (40, "smtp_quit_stall_worker_kill", 8),
        (60, "worker_kill_mid_batch", None),
        (78, "relay_down", 30),
        (115, "redis_kill_restart", 2),
        (132, "redis_freeze", 10),
        (150, "postgresql_slow", 20),
    ),
    settle_seconds=50,  # longer than a lease plus two sweeps: a resend after a lease would be seen
    give_up_seconds=420,
    timings={
        "ALERTS_FLOOD_WINDOW_SECONDS": "20",
        "ALERTS_HOURLY_CAP": "1000000",
        "ALERTS_BATCH_SIZE": "20",
        "ALERTS_SWEEP_EVERY_SECONDS": "5",
        "ALERTS_SWEEP_AFTER_SECONDS": "10",
        "ALERTS_RETRY_BACKOFF_SECONDS": "2",
        "ALERTS_RETRY_BACKOFF_MAX_SECONDS": "10",
        "ALERTS_LEASE_SECONDS": "30",
        "WEBHOOKS_LEASE_SECONDS": "30",
        "CELERY_TASK_SOFT_TIME_LIMIT": "20",
        "CELERY_TASK_TIME_LIMIT": "25",
        "EMAIL_TIMEOUT": "10",
    },
)

# The smoke test's (tests/bench/test_faults.py): a few subscribers, two faults, well under a minute.
SMOKE = Config(
    subscribers=8,
    provinces=1,
    districts_per_province=2,
    changes=4,
    seconds_between_changes=1.5,
    faults=((0, "smtp_451_first_offers", 2), (1, "worker_kill_mid_batch", None)),
    settle_seconds=14,
    give_up_seconds=90,
    timings={
        **FULL.timings,
        "ALERTS_FLOOD_WINDOW_SECONDS": "3",
        "ALERTS_SWEEP_EVERY_SECONDS": "2",
        "ALERTS_SWEEP_AFTER_SECONDS": "3",
        "ALERTS_RETRY_BACKOFF_SECONDS": "1",
        "ALERTS_RETRY_BACKOFF_MAX_SECONDS": "2",
        "ALERTS_LEASE_SECONDS": "15",  # production refuses less (the heartbeat beats every third)
        "WEBHOOKS_LEASE_SECONDS": "15",
        "CELERY_TASK_SOFT_TIME_LIMIT": "8",
        "CELERY_TASK_TIME_LIMIT": "10",
    },
)


# --- the world: regions, who follows what, a partner --------------------------------------------------


def build_world(config: Config) -> dict:
    """Regions ZF > ZF01… > ZF0101…; subscriptions spread over them; a partner token. Returns the plan:
    for each district, the addresses that must hear of its changes (worked out here, not by the pipeline)."""
    from access.models import Subscription
    from tests.factories import SourceFactory, make_region
    from tests.partners import issue_token

    country = make_region("ZF", "Faultland")
    provinces, districts = [], []
    for p in range(1, config.provinces + 1):
        province = make_region(f"ZF{p:02d}", f"Province {p}", parent=country)
        provinces.append(province)
        for d in range(1, config.districts_per_province + 1):
            districts.append(make_region(f"{province.pcode}{d:02d}", f"District {p}.{d}", parent=province))
    followers = {district.pcode: set() for district in districts}
    languages = ["en", "en", "fa-af", "en", "ps"]
    links = []
    for n in range(config.subscribers):
        email = f"staff{n}@example.org"
        kind = n % 10
        if kind == 0:  # the whole country (every change reaches them: the follow-ups)
            followed = [country]
            reached = districts
        elif kind <= 3:  # a province
            province = provinces[(n // 10) % len(provinces)]
            followed = [province]
            reached = [d for d in districts if d.parent_id == province.pk]
        else:  # a district, every third of them a second one
            followed = [districts[n % len(districts)]]
            if n % 3 == 0:
                followed.append(districts[(n * 7 + 1) % len(districts)])
            reached = followed
        subscription = Subscription.objects.create(
            email=email, name=f"Field staff {n}" if n % 2 else "", language=languages[n % len(languages)],
            time_zone="Asia/Kabul",
        )  # fmt: skip
        links += [(subscription, region) for region in followed]
        for district in reached:
            followers[district.pcode].add(email)
    Subscription.regions.through.objects.bulk_create(
        Subscription.regions.through(subscription=subscription, region=region) for subscription, region in links
    )
    return {
        "districts": [d.pcode for d in districts],
        "followers": followers,
        "token": issue_token("Fault Partner", ["read", "write"]),
        "source": SourceFactory().pk,
    }


# --- the partner ------------------------------------------------------------------------------------


def post_change(base_url: str, token: str, pcode: str, body: dict, requests: list) -> float | None:
    """POST one status change, retried (same Idempotency-Key) on a 5xx or no answer, up to 6 times.
    Returns when its 201 arrived, None if it never did; every attempt goes into `requests`."""
    key = uuid.uuid4().hex
    for attempt in range(6):
        request = urllib.request.Request(  # noqa: S310  (loopback)
            f"{base_url}/api/v1/regions/{pcode}/status-changes/",
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Host": "humtrack.example.org",
                "X-Forwarded-Proto": "https",
                "Authorization": f"Token {token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Idempotency-Key": key,
            },
        )
        started = time.time()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError as error:  # refused, reset, timed out
            status = type(error).__name__
        requests.append({"status": status, "seconds": round(time.time() - started, 3), "attempt": attempt + 1})
        if status in (200, 201):
            return time.time()
        if isinstance(status, int) and status < 500:
            return None  # refused for a reason a retry will not change; counted, not retried
        time.sleep(2)
    return None


def make_changes(config: Config, world: dict, base_url: str, run_id: str, start: float, changes: list, requests):
    # A worsening beyond what a person was told goes out at once (worsening.py); an improvement within
    # the flood window waits for a follow-up. Inaccessible, then constrained: both kinds of email.
    statuses = ["inaccessible", "constrained"]
    made_on = Counter()
    for number in range(1, config.changes + 1):
        due = start + (number - 1) * config.seconds_between_changes
        time.sleep(max(0.0, due - time.time()))
        pcode = world["districts"][(number - 1) % len(world["districts"])]
        status = statuses[made_on[pcode] % 2]  # each change changes the district's status
        made_on[pcode] += 1
        body = {
            "status": status,
            "reason": f"fault-run change {number} of run {run_id}",
            "source": world["source"],
            "confidence": "reported",
        }
        answered = post_change(base_url, world["token"], pcode, body, requests)
        changes.append({"number": number, "pcode": pcode, "answered_at": answered, "sent_at": due})


# --- the faults -------------------------------------------------------------------------------------


class Faults:
    """Each fault by name: injected, waited out, undone, and logged with its times."""

    def __init__(self, stack, smtp, redis, log: list, start: float):
        self.stack, self.smtp, self.redis, self.log, self.start = stack, smtp, redis, log, start

    def note(self, fault: str, **detail):
        now = time.time()
        utc = datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds")  # to find it in the processes' logs
        self.log.append({"at": round(now - self.start, 1), "utc": utc, "fault": fault, **detail})
        print(f"fault-run: {self.log[-1]}", file=sys.stderr)

    def smtp_451_first_offers(self, one_in: int):
        self.smtp.handler.defer_first = lambda message_id: sum(map(ord, message_id)) % one_in == 0
        self.note("smtp_451_first_offers", one_in=one_in, until="the end")

    def smtp_drop_at(self, n: int):
        self.smtp.handler.drop_at = n
        self.note("smtp_drop_at", message=n, until="the end")

    def smtp_stall(self, seconds: float):
        self.smtp.handler.rcpt_delay = 0.3
        self.note("smtp_stall", rcpt_delay=0.3, seconds=seconds)
        time.sleep(seconds)
        self.smtp.handler.rcpt_delay = 0.0
        self.note("smtp_stall_over")

    def smtp_quit_stall_worker_kill(self, seconds: float):
        handler = self.smtp.handler
        waiting = handler.quits_waiting
        handler.quit_delay = seconds
        self.note("smtp_quit_stall", quit_delay=seconds)
        deadline = time.time() + 60
        while handler.quits_waiting == waiting and time.time() < deadline:
            time.sleep(0.05)
        worker = self.stack.worker_holding_port(handler.quit_peer_port) if handler.quits_waiting > waiting else None
        self._kill_and_restart(worker or "worker-a", during="QUIT stalled" if worker else "no QUIT seen in 60 s")
        time.sleep(seconds)
        handler.quit_delay = 0.0

    def worker_kill_mid_batch(self, _=None):
        handler = self.smtp.handler
        before, deadline = handler.accepted_count(), time.time() + 30
        while handler.accepted_count() == before and time.time() < deadline:
            time.sleep(0.01)
        worker = self.stack.worker_holding_port(handler.last_peer_port)
        self._kill_and_restart(worker or "worker-b", during="a batch" if worker else "no batch found in 30 s")

    def _kill_and_restart(self, worker: str, during: str):
        pid = self.stack.kill(worker)
        self.note("worker_sigkill", worker=worker, pid=pid, during=during)
        time.sleep(1)  # a restart policy's delay
        self.stack.start(worker)
        self.note("worker_restarted", worker=worker)

    def relay_down(self, seconds: float):
        self.smtp.stop()
        self.note("relay_down", seconds=seconds)
        time.sleep(seconds)
        self.smtp.start_again()
        self.note("relay_up")

    def redis_kill_restart(self, down: float):
        self.note("redis_kill", down_seconds=down)
        self.redis.restart(down_for=down)
        self.note("redis_restarted_empty")

    def redis_freeze(self, seconds: float):
        self.redis.freeze()
        self.note("redis_freeze", seconds=seconds)
        time.sleep(seconds)
        self.redis.thaw()
        self.note("redis_thaw")

    def postgresql_slow(self, seconds: float):
        from django.db import connection

        from access.models import StatusChange
        from tests.infrastructure import slow_writes

        try:
            with slow_writes(StatusChange, 2.0):
                self.note("postgresql_slow", table=StatusChange._meta.db_table, per_row_seconds=2.0, seconds=seconds)
                time.sleep(seconds)
            self.note("postgresql_slow_over")
        finally:
            connection.close()  # this thread's own connection

    def run(self, schedule):
        for at, name, argument in schedule:
            time.sleep(max(0.0, self.start + at - time.time()))
            try:
                getattr(self, name)(argument)
            except Exception as error:  # a fault that could not be injected is reported, not hidden
                self.note(f"{name}_failed", error=repr(error))


# --- measuring --------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))], 2)


def summary(seconds: list[float]) -> dict:
    return {
        "p50": percentile(seconds, 0.5),
        "p95": percentile(seconds, 0.95),
        "max": round(max(seconds), 2) if seconds else None,
    }


def received_pairs(accepted: list, run_id: str) -> tuple[Counter, dict, dict]:
    """(change number, address) → copies received, first acceptance of each, and what kind of email
    first carried it (alert / follow_up, from the Message-ID)."""
    copies, first, kind = Counter(), {}, {}
    for at, recipients, message in accepted:
        body = message.get_body(("plain",)).get_content()
        numbers = {int(n) for n, run in REASON.findall(body) if run == run_id}
        email_kind = (message["Message-ID"] or "<?.").strip("<").split(".", 1)[0]
        for address in recipients:
            for number in numbers:
                pair = (number, address)
                copies[pair] += 1
                if pair not in first:
                    first[pair], kind[pair] = at, email_kind
    return copies, first, kind


def expected_pairs(world: dict, run_id: str) -> tuple[set, dict]:
    """From the changes the database holds (a partner's request may have committed without its 201
    reaching the partner) and who follows which region."""
    from access.models import StatusChange

    expected, made = set(), Counter()
    for pcode, reason in StatusChange.objects.filter(reason__contains=run_id).values_list("region__pcode", "reason"):
        number = int(REASON.search(reason).group(1))
        made[number] += 1
        expected |= {(number, address) for address in world["followers"][pcode]}
    return expected, made


def open_work() -> int:
    from access.models import AlertDelivery, AlertEvent

    return (
        AlertDelivery.objects.filter(status__in=OPEN_STATES).count()
        + AlertEvent.objects.filter(state=AlertEvent.State.PENDING).count()
    )


def wait_for_quiescence(config: Config, handler) -> float:
    """Until nothing is open in the outbox and nothing has arrived for settle_seconds, or give up."""
    deadline = time.time() + config.give_up_seconds
    last_count, last_change = handler.accepted_count(), time.time()
    while time.time() < deadline:
        time.sleep(1)
        count = handler.accepted_count()
        if count != last_count or open_work():
            last_count, last_change = count, time.time()
        elif time.time() - last_change >= config.settle_seconds:
            return time.time()
    return time.time()


def figures(config, world, run_id, handler, changes, requests, fault_log, stack, exit_codes, wall) -> dict:
    from access.models import AlertDelivery

    expected, made = expected_pairs(world, run_id)
    copies, first, kinds = received_pairs(handler.accepted, run_id)
    commits = {c["number"]: c["answered_at"] for c in changes if c["answered_at"] is not None}
    latency = {pair: first[pair] - commits[pair[0]] for pair in expected if pair in first and pair[0] in commits}
    latencies = list(latency.values())
    doubled = {pair: n for pair, n in copies.items() if n > 1}
    message_ids = Counter(message["Message-ID"] for _, _, message in handler.accepted)
    statuses = Counter(requests_status(r) for r in requests)
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.uname().machine}, {os.cpu_count()} cores",
        # What the stack ran on: a worker's behaviour on a Redis restart depends on Celery's version.
        "versions": {name: metadata.version(name) for name in ("celery", "kombu", "redis", "psycopg", "gunicorn")},
        "subscribers": config.subscribers,
        "districts": len(world["districts"]),
        "changes_planned": config.changes,
        "changes_stored": len(made),
        "changes_stored_twice": sum(1 for n in made.values() if n > 1),
        "seconds": round(wall, 1),
        "expected_pairs": len(expected),
        "received_pairs": len(expected & set(copies)),
        "lost_pairs": len(expected - set(copies)),
        "doubled_pairs": len(doubled),
        "extra_copies": sum(n - 1 for n in doubled.values()),
        "unexpected_pairs": len(set(copies) - expected),
        "emails_accepted": len(handler.accepted),
        "emails_accepted_twice_same_message_id": sum(1 for n in message_ids.values() if n > 1),
        "first_copy_by_email_kind": dict(Counter(kinds.values())),
        "latency_seconds": {
            "note": "the change's 201 to the SMTP server's 250; follow-ups wait for the flood window by design",
            **summary(latencies),
            **{
                f"{kind} emails": summary([seconds for pair, seconds in latency.items() if kinds[pair] == kind])
                for kind in sorted(set(kinds.values()))
            },
        },
        "smtp": {
            "connections": handler.connections,
            "dropped_at_nth_message": handler.dropped,
            "deferred_451": sum(1 for n in handler.offers.values() if n > 1),
        },
        "api_requests": len(requests),
        "api_answers": dict(statuses),
        "api_5xx_or_no_answer": sum(n for s, n in statuses.items() if not s.isdigit() or int(s) >= 500),
        "faults": fault_log,
        "processes_died_on_their_own": stack.deaths,
        "exit_codes_at_stop": exit_codes,
        "errors_logged": stack.errors_logged(),
        "deliveries_by_status": dict(Counter(AlertDelivery.objects.values_list("status", flat=True))),
        "lost_sample": sorted(expected - set(copies))[:10],
        "doubled_sample": sorted(doubled.items())[:10],
        "timings": config.timings,
    }


def requests_status(request: dict) -> str:
    return str(request["status"])


def table(result: dict) -> str:
    latency = result["latency_seconds"]
    rows = [
        ("(change, subscriber) pairs expected", result["expected_pairs"]),
        ("received", result["received_pairs"]),
        ("lost", result["lost_pairs"]),
        ("doubled (received twice or more)", result["doubled_pairs"]),
        ("changes made (API) / stored", f"{result['changes_planned']} / {result['changes_stored']}"),
        ("faults injected", sum(1 for f in result["faults"] if f["fault"] in INJECTED)),
        ("processes that died on their own", len(result["processes_died_on_their_own"])),
        ("API requests answered 5xx or not at all", f"{result['api_5xx_or_no_answer']} of {result['api_requests']}"),
        ("latency commit → SMTP 250, p50 / p95 / max (s)", f"{latency['p50']} / {latency['p95']} / {latency['max']}"),
    ]
    for kind in ("alert", "follow_up"):
        if f"{kind} emails" in latency:
            part = latency[f"{kind} emails"]
            rows.append((f"… first copy in {kind} emails (s)", f"{part['p50']} / {part['p95']} / {part['max']}"))
    return "\n".join(["| figure | value |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows)])


# --- the run ----------------------------------------------------------------------------------------


def run_stack(config: Config, workdir: Path) -> dict:
    """The run against the database Django is connected to (migrated, PostgreSQL); returns its figures."""
    import logging

    from django.db import connection

    from bench.alerts import database_url
    from bench.fault_stack import Stack, TimedHandler
    from tests.infrastructure import RedisServer
    from tests.integration.test_alerts_harness import SmtpServer

    if connection.vendor != "postgresql":
        raise SystemExit("fault-run: needs PostgreSQL (DATABASE_URL=postgres://…); SQLite cannot take two workers.")
    if shutil.which("redis-server") is None:
        raise SystemExit("fault-run: needs redis-server (Debian's redis-server package): the run kills its Redis.")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
    run_id = uuid.uuid4().hex[:8]
    world = build_world(config)
    redis = RedisServer(workdir).start()
    smtp = SmtpServer(TimedHandler())
    smtp.__enter__()
    stack = Stack(
        workdir, database_url=database_url(connection.settings_dict), redis_url=redis.url, smtp_port=smtp.port,
        timings=config.timings,
    )  # fmt: skip
    changes, requests, fault_log = [], [], []
    exit_codes = {}
    started = time.time()
    try:
        stack.start_all()
        wait_until_ready(stack)
        start = time.time()
        faults = Faults(stack, smtp, redis, fault_log, start)
        fault_thread = threading.Thread(target=faults.run, args=(config.faults,), daemon=True)
        fault_thread.start()
        make_changes(config, world, stack.base_url, run_id, start, changes, requests)
        fault_thread.join(timeout=120)
        print(f"fault-run: {len(changes)} changes made; waiting for quiescence", file=sys.stderr)
        wait_for_quiescence(config, smtp.handler)
    finally:
        exit_codes = stack.stop_all()
        smtp.stop()
        redis.stop()
    return figures(
        config, world, run_id, smtp.handler, changes, requests, fault_log, stack, exit_codes, time.time() - started
    )


def wait_until_ready(stack) -> None:
    """gunicorn answers /readyz, and each worker has logged that it is ready."""
    deadline = time.time() + 120
    while time.time() < deadline:
        ready_workers = all(
            "ready" in (stack.workdir / f"{name}.log").read_text(errors="replace")
            for name in ("worker-a", "worker-b")
            if (stack.workdir / f"{name}.log").exists()
        )
        try:
            with urllib.request.urlopen(stack.base_url + "/readyz?format=text", timeout=10) as response:  # noqa: S310
                if response.status == 200 and ready_workers:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"fault-run: the stack was not ready in 120 s (logs in {stack.workdir})")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "humtrack.settings.test")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("fault-run: set DATABASE_URL to a PostgreSQL server (postgres://…); SQLite is refused.")
    workdir = Path(tempfile.mkdtemp(prefix="humtrack-fault-run-"))
    original_name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"fault_{original_name}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    smoke = "--smoke" in sys.argv[1:]  # the smoke test's configuration, its figures kept with the logs
    try:
        result = run_stack(SMOKE if smoke else FULL, workdir)
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)
    results = workdir / "faults.json" if smoke else RESULTS
    results.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(table(result))
    print(f"fault-run: figures in {results}, logs in {workdir}", file=sys.stderr)


if __name__ == "__main__":
    main()
