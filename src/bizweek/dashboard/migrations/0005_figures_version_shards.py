"""The figures' data version in 16 rows on PostgreSQL (issue 12).

With one counter row, every transaction writing a table the figures read (a log, a booking, a
batch of booth visits) locked that row from its first write to its commit, so concurrent
writers went one at a time (bench/figures_writers.py: 32 writers filing logs ran at about half
the rate they reached without the counter). Each connection now raises the row chosen by its
server process id, so two writers wait for each other only when they share a row. Readers sum
the rows (`dashboard.cache.data_version`): the sum still grows with every commit that wrote, and
a write and its count become visible in the same commit. SQLite, one writer at a time anyway,
keeps row 1.
"""

from django.db import migrations


SHARDS = 16
TABLE = "dashboard_figuresversion"
COLUMNS = ("companies", "visits", "meetings")


def _function(column: str, row: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION figures_version_bump_{column}() RETURNS trigger AS $$ BEGIN "
        f"INSERT INTO {TABLE} (id, token, companies, visits, meetings) "
        f"VALUES ({row}, md5(random()::text || clock_timestamp()::text), 0, 0, 0) "
        f"ON CONFLICT (id) DO UPDATE SET {column} = {TABLE}.{column} + 1; "
        f"RETURN NULL; END $$ LANGUAGE plpgsql"
    )


def shard(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(_function(column, f"1 + mod(pg_backend_pid(), {SHARDS})"))


def unshard(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(_function(column, "1"))
    # Fold the other rows into row 1 so the counters keep growing.
    schema_editor.execute(
        f"INSERT INTO {TABLE} (id, token, companies, visits, meetings) "
        f"SELECT 1, md5(random()::text), COALESCE(SUM(companies), 0), COALESCE(SUM(visits), 0), "
        f"COALESCE(SUM(meetings), 0) FROM {TABLE} "
        f"ON CONFLICT (id) DO UPDATE SET companies = EXCLUDED.companies, "
        f"visits = EXCLUDED.visits, meetings = EXCLUDED.meetings, token = EXCLUDED.token"
    )
    schema_editor.execute(f"DELETE FROM {TABLE} WHERE id <> 1")


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0004_meeting_figures")]

    operations = [migrations.RunPython(shard, unshard)]
