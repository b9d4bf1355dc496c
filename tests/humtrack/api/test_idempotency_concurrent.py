"""Idempotency-Key under a real race: the same POST sent twice at the same moment (on PostgreSQL).

A partner whose first request timed out on its side retries at once, while the first is still being
served. The second request waits on the key's unique index until the first commits, then replays its
response (humtrack/api/idempotency.py). Needs real commits and one connection per thread.
"""

import time
from typing import NamedTuple

import pytest

from access.models import AccessRestriction
from humtrack.models import IdempotencyKey
from tests.humtrack.api.test_idempotency import restriction
from tests.infrastructure import slow_writes
from tests.partners import client_for, issue_token
from tests.threads import at_once

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROUNDS = 10


class Answer(NamedTuple):
    status: int
    body: dict
    replayed: str | None
    started: float
    ended: float


@pytest.fixture
def slow_restriction_writes():
    """Each restriction takes 100 ms to write, so that the second request arrives while the first one's
    transaction (its key included) is still open; without it the first would be done before the second
    started, and the test would only ever see a sequential retry."""
    with slow_writes(AccessRestriction, 0.1):
        yield


def test_the_same_key_sent_twice_at_once_writes_once_and_both_get_the_same_answer(
    tree, source, slow_restriction_writes
):
    key = issue_token("Logistics Cluster", ["read", "write"])

    def partner(together) -> list:
        client, answers = client_for(key), []
        for n in range(ROUNDS):
            together()
            started = time.monotonic()
            response = client.post(
                "/api/v1/restrictions/", restriction(source), format="json", HTTP_IDEMPOTENCY_KEY=f"race-{n}"
            )
            answers.append(
                Answer(response.status_code, response.json(), response.headers.get("Idempotent-Replayed"),
                       started, time.monotonic())
            )  # fmt: skip
        return answers

    first, second = at_once(partner, partner)

    for n, (one, other) in enumerate(zip(first, second, strict=True)):
        assert max(one.started, other.started) < min(one.ended, other.ended), f"round {n}: not at the same time"
        assert one.status == other.status == 201, f"round {n}: {one.status} {other.status}"
        assert one.body == other.body, f"round {n}: the two answers differ"
        assert sorted([one.replayed, other.replayed], key=str) == [None, "true"], f"round {n}: not one replay"
    assert AccessRestriction.objects.count() == ROUNDS
    assert IdempotencyKey.objects.filter(key__startswith="race-").count() == ROUNDS
