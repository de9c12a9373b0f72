"""Unplaced draft meetings keep their reason as a code with parameters (translated when shown);
the old text column stays for drafts made before."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0006_merge_show_source_and_move_proposals"),
    ]

    operations = [
        migrations.AddField(
            model_name="draftmeeting",
            name="reason_code",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AddField(
            model_name="draftmeeting",
            name="reason_params",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
