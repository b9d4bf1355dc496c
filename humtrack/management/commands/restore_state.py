from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from humtrack.backup import restore_state


class Command(BaseCommand):
    help = "Restore an export_state file into a freshly migrated, empty database. All or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.exists():
            raise CommandError(f"No such file: {file}")
        try:
            restore_state(path)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"Restored from {file}")
