"""access/alerts/enqueue.py: every task the pipeline enqueues by name is registered under that name."""

import inspect
import uuid
from unittest import mock

import pytest

from access.alerts import enqueue
from access.alerts.choices import BatchKind
from humtrack.celery import app as celery_app

# One call of each function of enqueue.py; a new one fails the test below until it is listed here.
CALLS = {
    "enqueue_event": (1,),
    "enqueue_event_again": (1,),
    "enqueue_sends": ([1, 2], [(3, BatchKind.DIGEST)]),
    "enqueue_pause_notice": (3,),
    "wake_webhook_delivery": (),
    "enqueue_confirmation_email": ("signed-request",),
}


def registered_task_names() -> set[str]:
    # What a worker imports when it starts: CELERY_IMPORTS and every app's tasks.py.
    celery_app.loader.import_default_modules()
    return set(celery_app.tasks)


def published_names() -> set[str]:
    """The task names enqueue.py publishes, read from what it hands to Celery."""
    functions = {
        name for name, function in inspect.getmembers(enqueue, inspect.isfunction)
        if function.__module__ == enqueue.__name__ and not name.startswith("_")
    }  # fmt: skip
    assert functions == set(CALLS), "list each enqueue function in CALLS"
    with mock.patch.object(celery_app, "send_task") as send_task:
        for name, args in CALLS.items():
            getattr(enqueue, name)(*args)
    return {call.args[0] for call in send_task.call_args_list}


def test_every_task_the_pipeline_enqueues_is_registered_under_that_name():
    published = published_names()
    assert published == set(enqueue.ENQUEUED_TASKS)
    assert published - registered_task_names() == set()


def test_a_misspelled_task_name_is_caught():
    with mock.patch.object(enqueue, "FAN_OUT_EVENT", "access.alerts.fan_out_events"):
        assert published_names() - registered_task_names() == {"access.alerts.fan_out_events"}


def test_every_task_beat_starts_is_registered(settings):
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled - registered_task_names() == set()


def test_the_pipeline_tasks_go_to_the_alerts_queue():
    for name in enqueue.ENQUEUED_TASKS:
        assert celery_app.amqp.router.route({}, name)["queue"].name == "alerts"


@pytest.mark.parametrize("failure", [OSError("Connection refused"), ConnectionError("reset")])
def test_an_unreachable_broker_is_reported_not_raised_and_publishing_never_retries(failure):
    with mock.patch.object(celery_app, "send_task", side_effect=failure) as send_task:
        assert enqueue.enqueue_event(7) is False
    send_task.assert_called_once()
    assert send_task.call_args.args == (enqueue.FAN_OUT_EVENT,)
    assert send_task.call_args.kwargs["retry_policy"] == {"max_retries": 0}
    # Over a connection of its own with brief timeouts, not the pool the workers' options configure.
    transport_options = send_task.call_args.kwargs["connection"].transport_options
    assert transport_options["socket_timeout"] <= 0.5 and transport_options["max_retries"] == 0


def test_a_large_fan_outs_later_batches_are_published_behind_the_rest(settings):
    settings.ALERTS_BATCH_SIZE = 2
    with mock.patch.object(celery_app, "send_task") as send_task:
        enqueue.enqueue_sends([1, 2, 3])
        enqueue.enqueue_sends([4, 5], behind=True)
    calls = send_task.call_args_list
    published = [(call.kwargs["args"], call.kwargs.get("kwargs"), call.kwargs.get("priority")) for call in calls]
    assert published == [
        ([[1, 2]], None, None),
        ([[3]], None, None),
        ([[4, 5]], {"behind": True}, enqueue.BEHIND_PRIORITY),  # giving way to what is queued after it
    ]


@pytest.mark.integration
def test_on_redis_a_send_published_later_is_taken_before_batches_published_behind():
    """What BEHIND_PRIORITY relies on: kombu's Redis transport hands out priority 0 before a later step."""
    from kombu import Connection, Exchange, Queue

    from tests.infrastructure import redis_url

    queue = Queue(f"test-behind-{uuid.uuid4().hex}", Exchange("test-behind", type="direct"), routing_key="behind")
    with Connection(redis_url()) as connection:
        producer = connection.Producer()
        for body, priority in [("behind 1", enqueue.BEHIND_PRIORITY), ("behind 2", enqueue.BEHIND_PRIORITY)]:
            producer.publish(body, exchange=queue.exchange, routing_key="behind", declare=[queue], priority=priority)
        producer.publish("first email", exchange=queue.exchange, routing_key="behind", declare=[queue])
        simple = connection.SimpleQueue(queue)
        try:
            taken = []
            for _ in range(3):
                message = simple.get(timeout=5)
                taken.append(message.payload)
                message.ack()
        finally:
            simple.queue.delete()
            simple.close()
    assert taken == ["first email", "behind 1", "behind 2"]
