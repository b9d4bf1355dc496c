"""The laptop's email backend: each email a `.eml` file of its own under EMAIL_FILE_PATH (var/mail/).

Django's file backend appends every email a connection sends to one `.log` file, which no mail
client opens. One RFC 5322 message per file, named by the time it was written and a counter, opens
in Thunderbird, Outlook, Apple Mail or a browser, right-to-left Dari and Pashto included.
"""

import itertools
import os
from datetime import UTC, datetime
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend as FileBasedEmailBackend

_counter = itertools.count(1)


class EmlFileBackend(FileBasedEmailBackend):
    file_path: str  # set by the file backend's __init__ (EMAIL_FILE_PATH)

    def open(self) -> bool:
        Path(self.file_path).mkdir(parents=True, exist_ok=True)
        return False

    def close(self) -> None:
        pass

    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            with self._lock:
                self.open()
                # CRLF line ends, as the message travels over SMTP: a .eml file opens in any mail client.
                data = message.message().as_bytes(linesep="\r\n")
                stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
                name = f"{stamp}-{os.getpid()}-{next(_counter)}.eml"
                # Written under a temporary name and renamed: a reader never sees half an email.
                target = Path(self.file_path) / name
                partial = target.with_suffix(".eml.part")
                partial.write_bytes(data)
                partial.replace(target)
            sent += 1
        return sent
