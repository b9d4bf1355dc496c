"""Logs under the production settings: one JSON object per line on stdout, with the request id, which
follows the work a request enqueues into the Celery worker that runs it."""

import json
import queue
import subprocess
import sys
import threading
import time

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from humtrack.request_id import RequestIdMiddleware
from tests.deploy.example_env import DEPLOY, REPO, production_environment
from tests.infrastructure import redis_url
from tests.ops.logging_tasks import log_marker

TEST_QUEUE = "h-deploy-logging"


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_a_request_logs_json_lines_carrying_its_request_id(tmp_path):
    request = (
        "import django; django.setup(); from django.test import Client; "
        "Client().get('/no-such-page/', secure=True, HTTP_HOST='humtrack.example.org', HTTP_X_REQUEST_ID='req-4242')"
    )
    result = subprocess.run(
        [sys.executable, "-c", request],
        cwd=REPO,
        env=production_environment(tmp_path, DJANGO_SETTINGS_MODULE="humtrack.settings.production"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)  # every line of stdout parses as one JSON object
    (not_found,) = [line for line in lines if line["name"] == "django.request"]
    assert not_found["message"] == "Not Found: /no-such-page/"
    assert not_found["levelname"] == "WARNING"
    assert not_found["request_id"] == "req-4242"


def read_lines_into(stream, lines: queue.Queue):
    for line in stream:
        lines.put(line)


@pytest.mark.integration
def test_the_request_id_follows_a_task_into_the_worker_log(tmp_path):
    from humtrack.celery import app

    broker = redis_url()
    with app.connection_for_write(broker) as connection:
        connection.default_channel.queue_purge(TEST_QUEUE)  # tasks an interrupted run left behind
    worker = subprocess.Popen(
        [str(DEPLOY / "entrypoint.sh"), "worker", "--pool", "solo"],
        cwd=REPO,
        env=production_environment(
            tmp_path,
            CELERY_BROKER_URL=broker,
            CELERY_QUEUES=TEST_QUEUE,
            CELERY_HOSTNAME=f"{TEST_QUEUE}@%h",
            CELERY_INCLUDE="tests.ops.logging_tasks",
            WORKER_METRICS_PORT="",
        ),
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "worker.stderr").open("w"),  # Python warnings, not logs
        text=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=read_lines_into, args=(worker.stdout, lines), daemon=True).start()

    def enqueue_while_serving(request):
        # As a view does: the task is published while the request is being served.
        with app.connection_for_write(broker) as connection:
            log_marker.apply_async(args=["marker-7"], queue=TEST_QUEUE, connection=connection)
        return HttpResponse("queued")

    response = RequestIdMiddleware(enqueue_while_serving)(RequestFactory().get("/", HTTP_X_REQUEST_ID="req-from-web"))
    assert response["X-Request-ID"] == "req-from-web"

    seen, task_line = [], None
    deadline = time.monotonic() + 60
    try:
        while task_line is None and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                assert worker.poll() is None, "the worker exited:\n" + "".join(seen)
                continue
            seen.append(line)
            record = json.loads(line)  # the worker logs JSON lines only
            if record["message"] == "logging task ran with marker-7":
                task_line = record
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert task_line is not None, "the task never ran:\n" + "".join(seen)
    assert task_line["request_id"] == "req-from-web"
    assert task_line["name"] == "humtrack.tests.logging"
