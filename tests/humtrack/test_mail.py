"""The laptop's mailbox: one .eml file per email, each a whole message a mail client opens."""

from email import policy
from email.parser import BytesParser

from django.core import mail
from django.core.mail import EmailMultiAlternatives


def test_each_email_is_a_eml_file_of_its_own(tmp_path, settings):
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    connection = mail.get_connection("humtrack.mail.EmlFileBackend")
    messages = []
    for subject in ["پنجشیر: وضعیت", "Panjsher (AF08): constrained → inaccessible"]:
        message = EmailMultiAlternatives(subject, "Body", "alerts@example.org", ["field@example.org"])
        message.attach_alternative('<html lang="fa-af" dir="rtl"><body>متن</body></html>', "text/html")
        messages.append(message)
    assert connection.send_messages(messages) == 2

    files = sorted((tmp_path / "mail").iterdir())
    assert [path.suffix for path in files] == [".eml", ".eml"]
    parsed = [BytesParser(policy=policy.default).parsebytes(path.read_bytes()) for path in files]
    assert sorted(message["Subject"] for message in parsed) == sorted(m.subject for m in messages)
    html = parsed[0].get_body(preferencelist=("html",)).get_content()
    assert 'dir="rtl"' in html
    assert b"\r\n" in files[0].read_bytes()  # as over SMTP
