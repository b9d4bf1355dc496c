"""docs/api.md's webhooks section: the receiver example runs as written (in its own process), accepts a
message signed with the endpoint's secret — either secret during a rotation — refuses a forged or altered
one, and does a message's work once however often it comes."""

import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from access.alerts.webhooks import endpoints
from tests.infrastructure import free_port

API_DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "docs", "api.md")


def receiver_example() -> str:
    text = open(API_DOCS, encoding="utf-8").read()
    section = text[text.index("### Verifying signatures") :]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL)[1]


@pytest.fixture
def receiver(tmp_path):
    """The doc's receiver on a free loopback port, with a secret as a registration returns it."""
    secret, port = endpoints.new_secret(), free_port()
    code = receiver_example().replace('("0.0.0.0", 8080)', f'("127.0.0.1", {port})')
    assert str(port) in code, "the example no longer listens where the test expects"
    (tmp_path / "receiver.py").write_text(code)
    process = subprocess.Popen(  # noqa: S603  (the doc's own example, run as a partner would)
        [sys.executable, "-u", "receiver.py"],
        cwd=tmp_path,
        env={**os.environ, "HUMTRACK_WEBHOOK_SECRET": secret},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 15
    while True:
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(f"the receiver did not start: {process.communicate()[0]}")
            time.sleep(0.1)
    yield url, secret, process
    process.kill()
    process.wait()


def signed(secrets: list[str], message_id: str, body: str) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(Webhook(secret).sign(message_id, now, body) for secret in secrets),
        "content-type": "application/json",
    }


def test_the_documented_receiver_verifies_dedupes_and_refuses_forgeries(receiver):
    url, secret, process = receiver
    body = '{"type": "region.status_changed", "timestamp": "2021-09-01T08:00:00Z", "data": {"pcode": "AF08"}}'

    assert httpx.post(url, content=body, headers=signed([secret], "msg_1", body)).status_code == 204
    assert httpx.post(url, content=body, headers=signed([secret], "msg_1", body)).status_code == 204  # again
    # During a rotation's overlap a message carries both signatures; this receiver holds the old secret.
    rotated = signed([endpoints.new_secret(), secret], "msg_2", body)
    assert httpx.post(url, content=body, headers=rotated).status_code == 204
    forged = signed([endpoints.new_secret()], "msg_3", body)
    assert httpx.post(url, content=body, headers=forged).status_code == 400
    altered = body.replace("AF08", "AF03")
    assert httpx.post(url, content=altered, headers=signed([secret], "msg_4", body)).status_code == 400

    time.sleep(0.5)  # the work runs after the answer
    process.kill()
    output = process.communicate()[0]
    assert output.count("region.status_changed 2021-09-01T08:00:00Z AF08") == 2  # msg_1 once, msg_2 once
    assert "AF03" not in output
