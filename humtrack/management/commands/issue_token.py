"""`python manage.py issue_token "<organisation>" --scopes read,write`: the key is the last line printed."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from humtrack.actor import SYSTEM
from humtrack.tokens import issue_api_token, parse_scopes


class Command(BaseCommand):
    help = "Issue an API token for a partner organisation (created if needed) and print its key, once."

    def add_arguments(self, parser):
        parser.add_argument("organisation", help="The partner organisation's name.")
        parser.add_argument("--scopes", default="read", help="Comma-separated: read, write, alerts (default: read).")
        parser.add_argument("--name", default="", help="A label for the token, e.g. the system that uses it.")

    def handle(self, *args, organisation, scopes, name, **options):
        try:
            token, key, created = issue_api_token(
                organisation_name=organisation, scopes=parse_scopes(scopes), name=name, actor=SYSTEM
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if created:
            self.stderr.write(f"Created organisation {token.organisation}.")
        self.stderr.write(f"Token {token.prefix}… for {token.organisation}, scopes {', '.join(token.scopes)}.")
        self.stderr.write("The key is shown once; only its hash is stored. Send it as 'Authorization: Token <key>'.")
        self.stdout.write(key)
