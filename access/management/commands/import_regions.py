from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from access.services.regions import import_regions, read_admin_csv, read_centroids_csv
from humtrack.actor import SYSTEM


class Command(BaseCommand):
    help = (
        "Load a COD-style admin table (columns admin_level, pcode, name, parent_pcode), for any country. "
        "All or nothing; running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv_file")
        parser.add_argument("--centroids", help="A CSV of pcode,name,lat,lon for the regions' centroids.")

    def handle(self, *args, csv_file, centroids=None, **options):
        try:
            rows = read_admin_csv(csv_file)
            centroid_map = read_centroids_csv(centroids) if centroids else None
            result = import_regions(rows=rows, actor=SYSTEM, centroids=centroid_map)
        except FileNotFoundError as error:
            raise CommandError(f"No such file: {error.filename}") from None
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"Regions: {result.created} created, {result.updated} updated, {result.unchanged} unchanged.")
