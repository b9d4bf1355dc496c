"""`make run`: the web server, a Celery worker and beat, together; Ctrl-C stops all three.

Uses honcho (a Procfile runner) so each process's output is prefixed with its name and a signal
reaches every child.
"""

import os
import sys

from django.conf import settings

PROCESSES = {
    "web": "{python} manage.py runserver 127.0.0.1:{port} --noreload",
    "worker": "{python} -m celery -A humtrack worker --loglevel INFO --concurrency 2 --without-gossip --without-mingle",
    "beat": "{python} -m celery -A humtrack beat --loglevel INFO --schedule {schedule}",
}


def banner(port: str) -> str:
    base = f"http://127.0.0.1:{port}"
    database = settings.DATABASES["default"]
    mailbox = getattr(settings, "EMAIL_FILE_PATH", None) or f"SMTP {settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    return "\n".join(
        [
            "",
            "humtrack is starting:",
            f"  admin       {base}/admin/   (user: coordinator, password: {settings.HUMTRACK_DEMO_PASSWORD})",
            f"  situation   {base}/situation/",
            f"  API         {base}/api/v1/   docs: {base}/api/docs/",
            f"  database    {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}",
            f"  broker      {settings.CELERY_BROKER_URL}",
            f"  mailbox     {mailbox}",
            "  Ctrl-C stops the web server, the worker and beat.",
            "",
        ]
    )


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "humtrack.settings.base")
    import django

    django.setup()
    from honcho.manager import Manager

    port = os.environ.get("PORT", "8000")
    print(banner(port), flush=True)
    manager = Manager()
    for name, command in PROCESSES.items():
        manager.add_process(
            name, command.format(python=sys.executable, port=port, schedule=settings.CELERY_BEAT_SCHEDULE_FILENAME)
        )
    manager.loop()
    sys.exit(manager.returncode)


if __name__ == "__main__":
    main()
