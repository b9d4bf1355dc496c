from django.db import migrations

GROUPS = [
    "all_aid_workers",
    "women_aid_workers",
    "national_staff",
    "international_staff",
    "goods_and_supplies",
    "affected_population",
]


def seed(apps, schema_editor):
    AffectedGroup = apps.get_model("access", "AffectedGroup")
    for code in GROUPS:
        AffectedGroup.objects.get_or_create(code=code)


class Migration(migrations.Migration):
    dependencies = [("access", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
