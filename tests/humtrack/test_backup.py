"""Backup and restore: a database restored from an export equals the original, history included."""

import pytest
from django.apps import apps
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import CommandError

from access.choices import AccessStatus, Confidence
from access.models import Region, Source
from access.services import change_access_status
from humtrack.actor import Actor
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db(transaction=True)

LABELS = ("humtrack", "access", "needs")


def snapshot():
    """Every row of every project model (history tables included) and the users, as plain data.

    Foreign keys by natural key: a fresh database numbers permissions and content types its own way.
    """
    rows = {}
    models = [m for label in LABELS for m in apps.get_app_config(label).get_models()]
    models += [apps.get_model("auth", "User"), apps.get_model("auth", "Group")]
    for model in models:
        # Users and groups by natural key too: migrate (run by flush) may recreate a group under a new id.
        by_natural_key = model._meta.app_label == "auth"
        serialized = serializers.serialize(
            "python",
            model.objects.order_by("pk"),
            use_natural_foreign_keys=True,
            use_natural_primary_keys=by_natural_key,
        )
        for row in serialized:
            # Many-to-many values come in the database's order, which carries no meaning.
            row["fields"] = {
                name: sorted(value) if isinstance(value, list) else value for name, value in row["fields"].items()
            }
        rows[model._meta.label] = serialized
    return rows


def test_export_then_restore_into_an_empty_database_gives_back_every_record(tmp_path):
    call_command("load_demo")
    panjshir = Region.objects.get(pcode="AF08")
    change_access_status(
        region=panjshir,
        status=AccessStatus.INACCESSIBLE,
        reason="Road closed",
        source=Source.objects.first(),
        confidence=Confidence.REPORTED,
        actor=Actor(organisation=OrganisationFactory(name="WFP")),
    )
    before = snapshot()
    assert len(before["access.HistoricalRegion"]) > 400

    backup = tmp_path / "humtrack.xml.gz"
    call_command("export_state", str(backup))
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore_state", str(backup))

    call_command("flush", "--no-input")  # an empty, migrated database
    call_command("restore_state", str(backup))
    assert snapshot() == before
