"""A Celery worker serves its own Prometheus metrics: alerts are counted in its pool processes."""

import re
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.deploy.example_env import DEPLOY, REPO, production_environment
from tests.infrastructure import free_port, redis_url
from tests.ops.logging_tasks import count_alert_sent

TEST_QUEUE = "h-deploy-metrics"


def alerts_sent(port: int) -> float | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:  # noqa: S310
            text = response.read().decode()
    except (urllib.error.URLError, ConnectionError):
        return None
    match = re.search(r'^humtrack_alerts_sent_total\{channel="email"\} (\S+)$', text, re.MULTILINE)
    return float(match.group(1)) if match else None


@pytest.mark.integration
def test_a_worker_serves_the_alert_counts_of_all_its_pool_processes(tmp_path):
    from humtrack.celery import app

    broker = redis_url()
    port = free_port()
    with app.connection_for_write(broker) as connection:
        connection.default_channel.queue_purge(TEST_QUEUE)
    worker = subprocess.Popen(
        [str(DEPLOY / "entrypoint.sh"), "worker"],
        cwd=REPO,
        env=production_environment(
            tmp_path,
            CELERY_BROKER_URL=broker,
            CELERY_QUEUES=TEST_QUEUE,
            CELERY_HOSTNAME=f"{TEST_QUEUE}@%h",
            CELERY_CONCURRENCY="2",
            CELERY_INCLUDE="tests.ops.logging_tasks",
            WORKER_METRICS_PORT=str(port),
            WORKER_METRICS_ADDR="127.0.0.1",
        ),
        stdout=(tmp_path / "worker.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while alerts_sent(port) is None and time.monotonic() < deadline:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(0.5)
        assert alerts_sent(port) == 0

        with app.connection_for_write(broker) as connection:
            for _ in range(5):
                count_alert_sent.apply_async(queue=TEST_QUEUE, connection=connection)
        while alerts_sent(port) != 5 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert alerts_sent(port) == 5, (tmp_path / "worker.log").read_text()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
