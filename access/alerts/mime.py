"""MIME assembly of the alert emails: their bytes written out here, once, instead of by the email package.

What an email says is in emails.py; this module only turns headers and rendered bodies into the bytes
an SMTP server receives (RFC 5322 and MIME multipart/alternative).
"""

import base64
import uuid
from email.utils import formatdate

from django.conf import settings
from django.core.mail import EmailMultiAlternatives


class _AssembledMessage:
    """What Django's mail backends ask of a message: its bytes (SMTP and file backends)."""

    def __init__(self, raw: bytes):
        self.raw = raw

    def as_bytes(self, unixfrom=False, linesep="\n") -> bytes:
        return self.raw if linesep == "\r\n" else self.raw.replace(b"\r\n", linesep.encode())


class AssembledEmail(EmailMultiAlternatives):
    """An alert email whose MIME bytes are assembled here, once, instead of by the email package.

    Building a message with Django and the email package costs more than sending it (header folding
    and encoding run in pure Python for each header of each copy), and an alert goes to thousands of
    people with only the address, the name and the unsubscribe link differing. The subject is encoded
    once per event; every other header is ASCII by construction (addresses through Django's
    sanitize_address). Any backend works: they all take the bytes from message().
    """

    def __init__(self, *, raw: bytes, envelope_from: str, envelope_to: list[str], **kwargs):
        super().__init__(**kwargs)
        self.raw = raw
        self.envelope_from, self.envelope_to = envelope_from, envelope_to

    def message(self):
        return _AssembledMessage(self.raw)


def body_part(content: str, subtype: str) -> bytes:
    data = content.encode()
    lines = data.splitlines()
    head = f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: '
    # RFC 5322 caps a line at 998 octets: a very long reason goes base64, everything else as it is.
    # (max over map: a generator of len() per line cost a sender as much as the rest of this function.)
    if max(map(len, lines), default=0) > 998:
        return f"{head}base64\r\n\r\n".encode() + base64.encodebytes(data).replace(b"\n", b"\r\n")
    return f"{head}8bit\r\n\r\n".encode() + b"\r\n".join(lines)


def assemble(headers: dict, encoded_subject: str, from_header: str, to: str, text: str, html: str) -> bytes:
    boundary = f"==humtrack-{uuid.uuid4().hex}=="
    lines = [
        f"Subject: {encoded_subject}",
        f"From: {from_header}",
        f"To: {to}",
        f"Date: {formatdate(localtime=settings.EMAIL_USE_LOCALTIME)}",
        *(f"{name}: {value}" for name, value in headers.items()),
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    return b"".join(
        [
            ("\r\n".join(lines) + "\r\n\r\n").encode("ascii"),
            f"--{boundary}\r\n".encode(),
            body_part(text, "plain"),
            f"\r\n--{boundary}\r\n".encode(),
            body_part(html, "html"),
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
