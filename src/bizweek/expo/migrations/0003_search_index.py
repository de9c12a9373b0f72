"""The full-text index behind expo/search.py: FTS5 on SQLite, tsvector + GIN on PostgreSQL."""

from django.db import migrations

SQLITE_UP = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS expo_search_fts USING fts5("
    "names, products, taxonomy, body, tokenize = 'unicode61 remove_diacritics 0')"
)
SQLITE_DOWN = "DROP TABLE IF EXISTS expo_search_fts"
PG_UP = [
    "ALTER TABLE expo_searchdocument ADD COLUMN IF NOT EXISTS vector tsvector",
    "CREATE INDEX IF NOT EXISTS expo_searchdocument_vector ON expo_searchdocument USING GIN (vector)",
]
PG_DOWN = [
    "DROP INDEX IF EXISTS expo_searchdocument_vector",
    "ALTER TABLE expo_searchdocument DROP COLUMN IF EXISTS vector",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"sqlite": [SQLITE_UP], "postgresql": PG_UP}.get(vendor, []):
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"sqlite": [SQLITE_DOWN], "postgresql": PG_DOWN}.get(vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("expo", "0002_product_is_published_product_updated_at_booth_and_more")]

    operations = [migrations.RunPython(forwards, backwards)]
