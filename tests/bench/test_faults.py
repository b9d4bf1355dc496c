"""bench/faults.py (`make fault-run`) cannot rot: its smallest configuration runs the whole stack
(gunicorn, two workers and beat, PostgreSQL, a Redis of its own, the SMTP server) with two faults, and
its figures add up and agree with what the mailbox holds.

The figures themselves are the run's to report, not this test's to judge, except the one the pipeline
promises under these two faults (a 451 and a worker SIGKILLed mid-batch): nothing is lost.
"""

import pytest

from bench.faults import SMOKE, run_stack
from tests.infrastructure import require_postgresql

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_smallest_fault_run_counts_every_pair_and_logs_its_faults(tmp_path):
    require_postgresql()

    result = run_stack(SMOKE, tmp_path)

    # Two districts, each followed by its own subscribers, the province's and the country's; one change
    # on each district in turn: the pairs expected are worked out from that, not from the pipeline.
    assert result["changes_stored"] == SMOKE.changes
    assert result["expected_pairs"] > SMOKE.changes
    assert result["received_pairs"] + result["lost_pairs"] == result["expected_pairs"]
    assert result["lost_pairs"] == 0, result["lost_sample"]
    assert result["unexpected_pairs"] == 0
    assert result["emails_accepted"] >= result["expected_pairs"] - result["received_pairs"]
    assert result["latency_seconds"]["max"] is not None
    # Both faults happened: the relay deferred some first offers, a worker was SIGKILLed and restarted.
    assert result["smtp"]["deferred_451"] > 0
    faults = [entry["fault"] for entry in result["faults"]]
    assert faults == ["smtp_451_first_offers", "worker_sigkill", "worker_restarted"], result["faults"]
    assert result["api_requests"] >= SMOKE.changes
    assert set(result["exit_codes_at_stop"]) == {"web", "worker-a", "worker-b", "beat"}
