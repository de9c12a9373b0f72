"""The figures' data version: a counter row and the triggers that raise it (issue 12).

SQLite has only row-level triggers; PostgreSQL gets statement-level ones (a bulk insert of
50,000 meetings raises the counter once). Each trigger upserts, so a missing row is created
with a fresh random token instead of the writes going uncounted.
"""

from django.db import migrations, models

# The tables each figures section reads, by the counter their writes raise.
SOURCES = {
    "companies": ["companies_company", "companies_company_sectors", "companies_sector"],
    "visits": ["expo_boothvisit"],
    "meetings": [
        "meetings_meeting",
        "meetings_meetingoutcome",
        "meetings_consultationlog",
        "matching_meetingrequest",
    ],
}
TABLE = "dashboard_figuresversion"


def _sqlite(column: str, table: str) -> tuple[list[str], list[str]]:
    create, drop = [], []
    for op in ("INSERT", "UPDATE", "DELETE"):
        name = f"figures_version_{table}_{op.lower()}"
        create.append(
            f'CREATE TRIGGER "{name}" AFTER {op} ON "{table}" BEGIN '
            f"INSERT INTO {TABLE} (id, token, companies, visits, meetings) "
            f"VALUES (1, lower(hex(randomblob(16))), 0, 0, 0) "
            f"ON CONFLICT(id) DO UPDATE SET {column} = {column} + 1; END"
        )
        drop.append(f'DROP TRIGGER IF EXISTS "{name}"')
    return create, drop


def _postgres(column: str, table: str) -> tuple[list[str], list[str]]:
    function = f"figures_version_bump_{column}"
    create = [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$ BEGIN "
        f"INSERT INTO {TABLE} (id, token, companies, visits, meetings) "
        f"VALUES (1, md5(random()::text || clock_timestamp()::text), 0, 0, 0) "
        f"ON CONFLICT (id) DO UPDATE SET {column} = {TABLE}.{column} + 1; "
        f"RETURN NULL; END $$ LANGUAGE plpgsql",
        f'CREATE TRIGGER figures_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" '
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]
    drop = [f'DROP TRIGGER IF EXISTS figures_version ON "{table}"']
    return create, drop


def _statements(vendor: str, which: int) -> list[str]:
    make = {"sqlite": _sqlite, "postgresql": _postgres}.get(vendor)
    if make is None:
        raise RuntimeError(f"No figures-version triggers for the {vendor} database")
    out = []
    for column, tables in SOURCES.items():
        for table in tables:
            out += make(column, table)[which]
    if vendor == "postgresql" and which == 1:
        out += [f"DROP FUNCTION IF EXISTS figures_version_bump_{c}()" for c in SOURCES]
    return out


def create_triggers(apps, schema_editor) -> None:
    for sql in _statements(schema_editor.connection.vendor, 0):
        schema_editor.execute(sql)


def drop_triggers(apps, schema_editor) -> None:
    for sql in _statements(schema_editor.connection.vendor, 1):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0002_background_exports"),
        ("companies", "0003_hs2022_full_nomenclature"),
        ("expo", "0003_search_index"),
        ("matching", "0007_draftmeeting_reason_code_and_params"),
        ("meetings", "0003_meeting_shared_files"),
    ]

    operations = [
        migrations.CreateModel(
            name="FiguresVersion",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("token", models.CharField(max_length=32)),
                ("companies", models.BigIntegerField(default=0)),
                ("visits", models.BigIntegerField(default=0)),
                ("meetings", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
