"""Load the HS taxonomy and the sector list, so every database starts with them.

A later change to data/hs.json or data/sectors.json ships with a migration that runs this again
(load_taxonomy is idempotent).
"""

from django.db import migrations


def load(apps, schema_editor):
    from bizweek.companies.taxonomy import load_taxonomy

    load_taxonomy(apps.get_model("companies", "HSCode"), apps.get_model("companies", "Sector"))


class Migration(migrations.Migration):
    dependencies = [("companies", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
