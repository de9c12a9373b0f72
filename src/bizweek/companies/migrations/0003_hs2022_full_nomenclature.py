"""The whole HS 2022 nomenclature: every chapter, heading and subheading, with the official
English description of each (load_taxonomy is idempotent and keeps the hand-made names)."""

from django.db import migrations, models


def load(apps, schema_editor):
    from bizweek.companies.taxonomy import load_taxonomy

    load_taxonomy(apps.get_model("companies", "HSCode"), apps.get_model("companies", "Sector"))


class Migration(migrations.Migration):
    dependencies = [("companies", "0002_load_taxonomy")]

    operations = [
        migrations.AddField(
            model_name="hscode",
            name="description",
            field=models.CharField(
                blank=True, max_length=300, verbose_name="official description"
            ),
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
