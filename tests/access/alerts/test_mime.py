"""access/alerts/mime.py: a body part goes as it is, or base64 when a line is too long for SMTP."""

import base64

from access.alerts.mime import body_part


def test_a_body_goes_as_eight_bit_with_crlf_line_ends():
    part = body_part("پنجشیر\nRoad closed\n", "plain")

    head, _, body = part.partition(b"\r\n\r\n")
    assert b"Content-Transfer-Encoding: 8bit" in head
    assert body == "پنجشیر\r\nRoad closed".encode()


def test_a_line_longer_than_998_octets_sends_the_body_as_base64():
    # 500 Dari letters are 1,000 octets in UTF-8: too long for one SMTP line though only 500 characters.
    text = "Short line\n" + "ک" * 500 + "\n"

    head, _, body = body_part(text, "html").partition(b"\r\n\r\n")

    assert b"Content-Type: text/html" in head and b"Content-Transfer-Encoding: base64" in head
    assert max(len(line) for line in body.split(b"\r\n")) <= 76
    assert base64.b64decode(body).decode() == text


def test_a_line_of_exactly_998_octets_still_goes_as_it_is():
    part = body_part("x" * 998, "plain")

    assert b"Content-Transfer-Encoding: 8bit" in part and part.endswith(b"x" * 998)
