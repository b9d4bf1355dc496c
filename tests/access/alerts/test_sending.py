"""access/alerts/sending.py: what the sending code reads, and a batch giving way (the rest of the
pipeline's rules: tests/access/test_alerts_pipeline.py)."""

import smtplib
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from access.alerts.choices import DeliveryStatus
from access.alerts.fan_out import fan_out
from access.alerts.giving_way import GIVE_WAY_EVERY
from access.alerts.sending import _DOT_ATOM_ADDRESS, deliveries_with_content, send_deliveries, send_envelope
from access.alerts.subscriptions import create_subscription
from access.choices import AccessStatus, Confidence
from access.models import AlertDelivery
from access.services import change_access_status
from humtrack.actor import SYSTEM
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


def test_deliveries_come_with_their_content_in_two_queries_each_event_loaded_once(tree, django_assert_num_queries):
    for n in range(3):
        create_subscription(actor=SYSTEM, regions=[tree["AF08"]], email=f"staff{n}@example.org")
    for status in (AccessStatus.CONSTRAINED, AccessStatus.INACCESSIBLE):
        change = change_access_status(
            region=tree["AF08"], status=status, reason="Road closed", source=SourceFactory(),
            confidence=Confidence.CONFIRMED, actor=SYSTEM,
        )  # fmt: skip
        fan_out(change.alert_event.pk)

    with django_assert_num_queries(2):
        deliveries = deliveries_with_content(AlertDelivery.objects.all())
        shown = [
            (d.subscription.email, d.event.status_change.region.pcode, d.event.status_change.to_status,
             d.event.status_change.source.title, d.event.status_change.recorded_by, d.event.status_change.organisation)
            for d in deliveries
        ]  # fmt: skip

    assert len(shown) == 6
    assert [d.event.status_change.to_status for d in deliveries] == ["constrained"] * 3 + ["inaccessible"] * 3
    # Copies of one alert share one loaded event: its change is read and parsed once per batch.
    assert len({id(d.event) for d in deliveries}) == 2


def fanned_out_to(tree, people: int) -> list[int]:
    """A change to `people` subscribers of Panjshir, fanned out: the deliveries to send now."""
    for n in range(people):
        create_subscription(actor=SYSTEM, regions=[tree["AF08"]], email=f"staff{n}@example.org")
    change = change_access_status(
        region=tree["AF08"], status=AccessStatus.INACCESSIBLE, reason="Road closed", source=SourceFactory(),
        confidence=Confidence.CONFIRMED, actor=SYSTEM,
    )  # fmt: skip
    return fan_out(change.alert_event.pk).send_now


def statuses(ids) -> dict[int, str]:
    return dict(AlertDelivery.objects.filter(pk__in=ids).values_list("pk", "status"))


def test_a_batch_giving_way_stops_after_a_step_and_hands_back_what_it_did_not_offer(tree, smtp):
    ids = fanned_out_to(tree, 25)
    asked = []

    outcome = send_deliveries(ids, give_way=lambda: asked.append("asked") or True)

    assert (outcome.sent, len(outcome.left), len(asked)) == (GIVE_WAY_EVERY, 25 - GIVE_WAY_EVERY, 1)
    now = statuses(ids)
    assert {now[pk] for pk in outcome.left} == {DeliveryStatus.PENDING}
    assert {now[pk] for pk in set(ids) - set(outcome.left)} == {DeliveryStatus.SENT}
    assert len(smtp.handler.messages) == GIVE_WAY_EVERY
    # The next claim takes what was handed back: everyone has exactly one email.
    assert send_deliveries(outcome.left).sent == 25 - GIVE_WAY_EVERY
    assert set(smtp.handler.recipients().values()) == {1} and len(smtp.handler.recipients()) == 25
    assert set(statuses(ids).values()) == {DeliveryStatus.SENT}


def test_a_batch_asks_every_few_emails_and_goes_on_while_nothing_waits(tree, smtp):
    ids = fanned_out_to(tree, 25)
    asked = []

    outcome = send_deliveries(ids, give_way=lambda: asked.append("asked") and False)

    # Asked after the 10th and the 20th; never after the last (nothing left to hand back).
    assert (outcome.sent, outcome.left, len(asked)) == (25, [], 25 // GIVE_WAY_EVERY)
    assert set(statuses(ids).values()) == {DeliveryStatus.SENT}


class EnvelopeHandler:
    """Records each transaction's envelope as the server saw it; refuses what it is told to."""

    def __init__(self):
        self.transactions, self.resets = [], 0
        self.refused_senders, self.refused_recipients, self.refused_content = set(), set(), set()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if address in self.refused_senders:
            return "553 5.7.1 Sender refused"
        envelope.mail_from, envelope.mail_options = address, list(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused_recipients:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if envelope.content in self.refused_content:
            return "554 5.6.0 Message refused"
        self.transactions.append((envelope.mail_from, envelope.mail_options, envelope.rcpt_tos, envelope.content))
        return "250 OK"

    async def handle_RSET(self, server, session, envelope):
        self.resets += 1
        return "250 OK"


@pytest.fixture
def envelope_server():
    from aiosmtpd.controller import Controller

    from tests.infrastructure import free_port

    handler = EnvelopeHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", controller.port) as client:
            yield handler, client
    finally:
        controller.stop()


RAW = b"Subject: Road closed\r\n\r\nThe valley road is closed.\r\n.Line starting with a dot\r\n"
ADDRESSES = [
    ("alerts@humtrack.example.org", ["staff1@example.org"]),
    ("alerts@humtrack.example.org", ["o'neil+panjshir@sub.example.org", "x@example.org"]),
    ("alerts@humtrack.example.org", ['"john doe"@example.org']),  # not a dot-atom: sendmail itself
    ("alerts@humtrack.example.org", ["staff@xn--mgbh0fb.example"]),  # an IDN domain after sanitize_address
]


@pytest.mark.parametrize(("sender", "recipients"), ADDRESSES)
def test_send_envelope_tells_the_server_what_smtplibs_sendmail_tells_it(envelope_server, sender, recipients):
    handler, client = envelope_server

    send_envelope(client, sender, recipients, RAW)
    client.sendmail(sender, recipients, RAW)

    ours, smtplibs = handler.transactions
    assert ours == smtplibs
    assert ours[0] == sender and ours[2] == recipients and ours[1] == [f"SIZE={len(RAW)}"]


@settings(max_examples=300, deadline=None)
@given(address=st.emails())
def test_an_address_sent_as_it_is_is_one_smtplib_would_send_unchanged(address):
    if _DOT_ATOM_ADDRESS.match(address):
        assert smtplib.quoteaddr(address) == f"<{address}>"


def test_send_envelope_raises_what_sendmail_raises_and_leaves_the_connection_usable(envelope_server):
    handler, client = envelope_server
    handler.refused_senders.add("blocked@humtrack.example.org")
    handler.refused_recipients.add("gone@example.org")
    handler.refused_content.add(b"Refuse me\r\n")

    for send in (partial(send_envelope, client), client.sendmail):
        with pytest.raises(smtplib.SMTPSenderRefused) as sender_refused:
            send("blocked@humtrack.example.org", ["staff1@example.org"], RAW)
        assert sender_refused.value.smtp_code == 553
        with pytest.raises(smtplib.SMTPRecipientsRefused) as recipients_refused:
            send("alerts@humtrack.example.org", ["gone@example.org"], RAW)
        assert recipients_refused.value.recipients == {"gone@example.org": (550, b"5.1.1 Mailbox unavailable")}
        with pytest.raises(smtplib.SMTPDataError) as data_refused:
            send("alerts@humtrack.example.org", ["staff1@example.org"], b"Refuse me\r\n")
        assert data_refused.value.smtp_code == 554
        # One of two recipients refused: the message goes to the other, as with sendmail.
        send("alerts@humtrack.example.org", ["gone@example.org", "staff2@example.org"], RAW)

    assert handler.resets == 6  # each refusal reset the transaction, for both
    assert [t[2] for t in handler.transactions] == [["staff2@example.org"], ["staff2@example.org"]]
