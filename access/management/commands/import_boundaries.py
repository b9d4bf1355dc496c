from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from access.services.boundaries import import_boundaries, read_geojson_features
from humtrack.actor import SYSTEM


class Command(BaseCommand):
    help = (
        "Load region boundaries from a GeoJSON FeatureCollection, for any country: each feature's "
        "'pcode' property names its region. All or nothing; running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("geojson_file")

    def handle(self, *args, geojson_file, **options):
        try:
            result = import_boundaries(features=read_geojson_features(geojson_file), actor=SYSTEM)
        except FileNotFoundError as error:
            raise CommandError(f"No such file: {error.filename}") from None
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"Boundaries: {result.updated} updated, {result.unchanged} unchanged.")
