"""access/alerts/giving_way.py: a large fan-out's later batch gives way to alert work queued after it,
asked of the real Redis (kombu's priority lists), and the send task publishes what it handed back."""

import base64
import json
import socket
import time

import pytest
import redis as redis_client

from access.alerts import enqueue, giving_way
from access.alerts.giving_way import ALERTS_QUEUE, GIVE_WAY_EVERY, other_work_waiting
from humtrack.celery import app as celery_app
from tests.access.alerts.test_sending import fanned_out_to
from tests.infrastructure import redis_url
from tests.integration.test_alerts_harness import point_celery_at

pytestmark = pytest.mark.integration

# kombu's Redis transport: the list of a queue's messages at a later priority step (enqueue.BEHIND_PRIORITY).
BEHIND_LIST = f"{ALERTS_QUEUE}\x06\x16{enqueue.BEHIND_PRIORITY}"


@pytest.fixture
def broker():
    url = redis_url()
    client = redis_client.Redis.from_url(url)
    client.delete(ALERTS_QUEUE, BEHIND_LIST)
    before = celery_app.conf.broker_url, celery_app.conf.broker_transport_options
    point_celery_at(url)
    giving_way._quiet_until = 0.0  # no earlier test's failure keeps this process from asking
    yield client
    client.delete(ALERTS_QUEUE, BEHIND_LIST)
    point_celery_at(*before)


def queued(client, key: str) -> list[tuple[str, list, dict]]:
    """(task, args, kwargs) of each message in one of kombu's lists, oldest first."""
    messages = [json.loads(raw) for raw in reversed(client.lrange(key, 0, -1))]
    return [(message["headers"]["task"], *json.loads(base64.b64decode(message["body"]))[:2]) for message in messages]


def test_only_work_queued_ahead_of_the_behind_batches_asks_a_batch_to_give_way(broker):
    assert other_work_waiting() is False
    enqueue.enqueue_sends([1, 2], behind=True)  # another fan-out's later batch: no reason to stop
    assert broker.llen(BEHIND_LIST) == 1
    assert other_work_waiting() is False
    enqueue.enqueue_sends([3])  # a change's first emails
    assert other_work_waiting() is True


def test_nothing_gives_way_where_the_broker_has_no_priorities(broker):
    point_celery_at("memory://")
    enqueue.enqueue_sends([3])
    assert other_work_waiting() is False


def test_a_broker_that_does_not_answer_costs_a_batch_one_short_wait_then_none(broker, monkeypatch):
    monkeypatch.setattr(giving_way, "_quiet_until", 0.0)
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers: a frozen Redis
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        point_celery_at(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        started = time.monotonic()
        assert other_work_waiting() is False
        first = time.monotonic() - started
        started = time.monotonic()
        assert other_work_waiting() is False  # not asked again for a while
        second = time.monotonic() - started
    assert first < 3 * giving_way.ANSWER_TIMEOUT_SECONDS and second < 0.01, (first, second)


@pytest.mark.django_db
def test_a_later_batch_gives_way_and_publishes_the_rest_behind_again(broker, tree, smtp):
    ids = fanned_out_to(tree, 25)
    enqueue.enqueue_sends([ids[0]])  # something waits ahead of the fan-out's later batches
    celery_app.loader.import_default_modules()

    sent = celery_app.tasks[enqueue.SEND_DELIVERY_BATCH](ids, behind=True)

    assert sent == GIVE_WAY_EVERY and len(smtp.handler.messages) == GIVE_WAY_EVERY
    ((task, args, kwargs),) = queued(broker, BEHIND_LIST)
    assert (task, kwargs) == (enqueue.SEND_DELIVERY_BATCH, {"behind": True})
    sent_to = {recipient for recipients, _ in smtp.handler.messages for recipient in recipients}
    assert len(args[0]) == 25 - GIVE_WAY_EVERY and len(sent_to) == GIVE_WAY_EVERY


@pytest.mark.django_db
def test_a_first_batch_never_gives_way(broker, tree, smtp):
    ids = fanned_out_to(tree, 25)
    enqueue.enqueue_sends([ids[0]])
    celery_app.loader.import_default_modules()

    assert celery_app.tasks[enqueue.SEND_DELIVERY_BATCH](ids) == 25
    assert broker.llen(BEHIND_LIST) == 0
