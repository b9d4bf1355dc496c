from pathlib import Path

from django.core.management.base import BaseCommand

from humtrack.backup import export_state


class Command(BaseCommand):
    help = "Export the whole state (history included) to FILE.xml or FILE.xml.gz, for restore_state."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        export_state(Path(file))
        self.stdout.write(f"Exported to {file}")
