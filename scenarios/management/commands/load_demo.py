from django.core.management.base import BaseCommand

from scenarios.demo import DEMO_COORDINATOR_USERNAME, load_demo


class Command(BaseCommand):
    help = "Load the Panjshir scenario of 31 August – 2 September 2021 and a demo coordinator. Idempotent."

    def handle(self, *args, **options):
        summary = load_demo()
        for line in summary.lines:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Demo coordinator (admin at /admin/):"))
        self.stdout.write(f"  username: {DEMO_COORDINATOR_USERNAME}")
        self.stdout.write(f"  password: {summary.password}")
