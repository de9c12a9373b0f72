"""Each meeting's share of the consultation figures, kept by triggers (issue 12).

The figures summed every meeting joined to its outcome, to each side's consultation log and
to its buyer; at 50,000 meetings that join was most of the first view after a change. These
rows hold the result of that join per meeting, refreshed by row triggers in the statement that
wrote the meeting, its outcome, a log or the buyer's country (so `update()`, `bulk_create`
and imports in other processes are covered, as for the figures version of 0003). The SQL that
computes one row is the same on SQLite and PostgreSQL; only the trigger syntax differs.

The rules are those of `dashboard.consultations`: confirmed amounts count the seller's log
when both logs agree; one-sided ones the seller's value, else the buyer's. Amounts are kept in
whole cents.
"""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "dashboard_meetingfigures"
COLUMNS = (
    "meeting_id, event_id, starts_at, state, seller_id, buyer_id, buyer_country, interpreted, "
    "held, no_show, decided, logged, both_logged, mou_confirmed, mou_one_sided, "
    "consultation_confirmed, consultation_one_sided, expected_contract_confirmed, "
    "expected_contract_one_sided, signed_contract_confirmed, signed_contract_one_sided"
)
HELD = "('held', 'partial')"
NO_SHOWS = "('no_show_seller', 'no_show_buyer', 'no_show_both')"


def _cents(column: str) -> str:
    return f"CAST(ROUND({column} * 100) AS BIGINT)"


def _amounts() -> str:
    out = []
    for name in ("consultation", "expected_contract", "signed_contract"):
        sl, bl, confirmed = f"sl.{name}_usd", f"bl.{name}_usd", f"sl.{name}_confirmed"
        out.append(f"CASE WHEN {confirmed} THEN COALESCE({_cents(sl)}, 0) ELSE 0 END")
        out.append(f"CASE WHEN {confirmed} THEN 0 ELSE COALESCE({_cents(sl)}, {_cents(bl)}, 0) END")
    return ", ".join(out)


SELECT = f"""SELECT m.id, m.event_id, m.starts_at, m.state, m.seller_id, m.buyer_id,
 COALESCE(b.country, ''),
 CASE WHEN m.needs_interpreter THEN 1 ELSE 0 END,
 CASE WHEN o.outcome IN {HELD} THEN 1 ELSE 0 END,
 CASE WHEN o.outcome IN {NO_SHOWS} THEN 1 ELSE 0 END,
 CASE WHEN o.id IS NOT NULL THEN 1 ELSE 0 END,
 CASE WHEN sl.id IS NOT NULL OR bl.id IS NOT NULL THEN 1 ELSE 0 END,
 CASE WHEN sl.id IS NOT NULL AND bl.id IS NOT NULL THEN 1 ELSE 0 END,
 CASE WHEN sl.mou_confirmed THEN 1 ELSE 0 END,
 CASE WHEN sl.mou_confirmed THEN 0 WHEN sl.mou_signed OR bl.mou_signed THEN 1 ELSE 0 END,
 {_amounts()}
FROM meetings_meeting m
LEFT JOIN companies_company b ON b.id = m.buyer_id
LEFT JOIN meetings_meetingoutcome o ON o.meeting_id = m.id
LEFT JOIN meetings_consultationlog sl ON sl.meeting_id = m.id AND sl.company_id = m.seller_id
LEFT JOIN meetings_consultationlog bl ON bl.meeting_id = m.id AND bl.company_id = m.buyer_id"""


def _refresh(meeting: str) -> str:
    """The statements that recompute one meeting's row (none left when it is gone)."""
    return (
        f"DELETE FROM {TABLE} WHERE meeting_id = {meeting}; "
        f"INSERT INTO {TABLE} ({COLUMNS}) {SELECT} WHERE m.id = {meeting};"
    )


# The columns each table's rows are summed from: an update that changes none of them (a
# reminder sent, a note edited, confirmation flags recomputed to what they were) leaves the
# figure row alone.
WATCHED = {
    "meetings_meeting": (
        "id",
        "event_id",
        "starts_at",
        "state",
        "seller_id",
        "buyer_id",
        "needs_interpreter",
    ),
    "meetings_meetingoutcome": ("meeting_id", "outcome"),
    "meetings_consultationlog": (
        "meeting_id",
        "company_id",
        "mou_signed",
        "mou_confirmed",
        *(
            f"{name}_{kind}"
            for name in ("consultation", "expected_contract", "signed_contract")
            for kind in ("usd", "confirmed")
        ),
    ),
}
CHILDREN = ("meetings_meetingoutcome", "meetings_consultationlog")


def _changed(table: str, distinct: str) -> str:
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in WATCHED[table])


def _sqlite() -> tuple[list[str], list[str]]:
    meeting = "meetings_meeting"
    create = [
        f"CREATE TRIGGER meeting_figures_meeting_insert AFTER INSERT ON {meeting} "
        f"BEGIN {_refresh('NEW.id')} END",
        f"CREATE TRIGGER meeting_figures_meeting_update AFTER UPDATE ON {meeting} "
        f"WHEN {_changed(meeting, 'IS NOT')} "
        f"BEGIN DELETE FROM {TABLE} WHERE meeting_id = OLD.id; {_refresh('NEW.id')} END",
        f"CREATE TRIGGER meeting_figures_meeting_delete AFTER DELETE ON {meeting} "
        f"BEGIN DELETE FROM {TABLE} WHERE meeting_id = OLD.id; END",
        f"CREATE TRIGGER meeting_figures_country AFTER UPDATE OF country ON companies_company "
        f"WHEN OLD.country IS NOT NEW.country "
        f"BEGIN UPDATE {TABLE} SET buyer_country = NEW.country WHERE buyer_id = NEW.id; END",
    ]
    for table in CHILDREN:
        short = table.split("_")[-1]
        create += [
            f"CREATE TRIGGER meeting_figures_{short}_insert AFTER INSERT ON {table} "
            f"BEGIN {_refresh('NEW.meeting_id')} END",
            f"CREATE TRIGGER meeting_figures_{short}_update AFTER UPDATE ON {table} "
            f"WHEN {_changed(table, 'IS NOT')} "
            f"BEGIN {_refresh('OLD.meeting_id')} {_refresh('NEW.meeting_id')} END",
            f"CREATE TRIGGER meeting_figures_{short}_delete AFTER DELETE ON {table} "
            f"BEGIN {_refresh('OLD.meeting_id')} END",
        ]
    names = [sql.split()[2] for sql in create]
    return create, [f"DROP TRIGGER IF EXISTS {name}" for name in names]


def _postgres() -> tuple[list[str], list[str]]:
    create = [
        f"CREATE OR REPLACE FUNCTION meeting_figures_refresh(mid bigint) RETURNS void AS $$ "
        f"BEGIN {_refresh('mid')} END $$ LANGUAGE plpgsql",
        "CREATE OR REPLACE FUNCTION meeting_figures_on_meeting() RETURNS trigger AS $$ BEGIN "
        f"IF TG_OP = 'DELETE' THEN DELETE FROM {TABLE} WHERE meeting_id = OLD.id; "
        "ELSE PERFORM meeting_figures_refresh(NEW.id); "
        "IF TG_OP = 'UPDATE' AND OLD.id <> NEW.id THEN PERFORM meeting_figures_refresh(OLD.id); "
        "END IF; END IF; RETURN NULL; END $$ LANGUAGE plpgsql",
        "CREATE OR REPLACE FUNCTION meeting_figures_on_child() RETURNS trigger AS $$ BEGIN "
        "IF TG_OP <> 'INSERT' THEN PERFORM meeting_figures_refresh(OLD.meeting_id); END IF; "
        "IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.meeting_id <> OLD.meeting_id) THEN "
        "PERFORM meeting_figures_refresh(NEW.meeting_id); END IF; "
        "RETURN NULL; END $$ LANGUAGE plpgsql",
        "CREATE OR REPLACE FUNCTION meeting_figures_on_country() RETURNS trigger AS $$ BEGIN "
        f"UPDATE {TABLE} SET buyer_country = NEW.country WHERE buyer_id = NEW.id; "
        "RETURN NULL; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER meeting_figures AFTER UPDATE OF country ON companies_company "
        "FOR EACH ROW WHEN (OLD.country IS DISTINCT FROM NEW.country) "
        "EXECUTE FUNCTION meeting_figures_on_country()",
    ]
    drop = ["DROP TRIGGER IF EXISTS meeting_figures ON companies_company"]
    for table in ("meetings_meeting", *CHILDREN):
        function = "meeting_figures_on_" + ("meeting" if table == "meetings_meeting" else "child")
        # A WHEN condition cannot read OLD on INSERT nor NEW on DELETE: two triggers.
        create += [
            f"CREATE TRIGGER meeting_figures AFTER INSERT OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
            f"CREATE TRIGGER meeting_figures_update AFTER UPDATE ON {table} FOR EACH ROW "
            f"WHEN ({_changed(table, 'IS DISTINCT FROM')}) EXECUTE FUNCTION {function}()",
        ]
        drop += [
            f"DROP TRIGGER IF EXISTS meeting_figures ON {table}",
            f"DROP TRIGGER IF EXISTS meeting_figures_update ON {table}",
        ]
    drop += [
        f"DROP FUNCTION IF EXISTS {name}"
        for name in (
            "meeting_figures_on_meeting()",
            "meeting_figures_on_child()",
            "meeting_figures_on_country()",
            "meeting_figures_refresh(bigint)",
        )
    ]
    return create, drop


def _statements(vendor: str, which: int) -> list[str]:
    make = {"sqlite": _sqlite, "postgresql": _postgres}.get(vendor)
    if make is None:
        raise RuntimeError(f"No meeting-figures triggers for the {vendor} database")
    return make()[which]


def create_triggers(apps, schema_editor) -> None:
    for sql in _statements(schema_editor.connection.vendor, 0):
        schema_editor.execute(sql)
    # The meetings that exist already.
    schema_editor.execute(f"INSERT INTO {TABLE} ({COLUMNS}) {SELECT}")


def drop_triggers(apps, schema_editor) -> None:
    for sql in _statements(schema_editor.connection.vendor, 1):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0003_figures_version"),
        ("meetings", "0003_meeting_shared_files"),
        ("companies", "0004_import_job"),
    ]

    operations = [
        migrations.CreateModel(
            name="MeetingFigures",
            fields=[
                (
                    "meeting",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="meetings.meeting",
                    ),
                ),
                ("event_id", models.BigIntegerField()),
                ("starts_at", models.DateTimeField()),
                ("state", models.CharField(max_length=10)),
                ("seller_id", models.BigIntegerField()),
                ("buyer_id", models.BigIntegerField()),
                ("buyer_country", models.CharField(blank=True, max_length=2)),
                ("interpreted", models.SmallIntegerField()),
                ("held", models.SmallIntegerField()),
                ("no_show", models.SmallIntegerField()),
                ("decided", models.SmallIntegerField()),
                ("logged", models.SmallIntegerField()),
                ("both_logged", models.SmallIntegerField()),
                ("mou_confirmed", models.SmallIntegerField()),
                ("mou_one_sided", models.SmallIntegerField()),
                ("consultation_confirmed", models.BigIntegerField()),
                ("consultation_one_sided", models.BigIntegerField()),
                ("expected_contract_confirmed", models.BigIntegerField()),
                ("expected_contract_one_sided", models.BigIntegerField()),
                ("signed_contract_confirmed", models.BigIntegerField()),
                ("signed_contract_one_sided", models.BigIntegerField()),
            ],
            options={
                "indexes": [
                    models.Index(fields=["starts_at"], name="meetingfigures_starts"),
                    models.Index(fields=["seller_id"], name="meetingfigures_seller"),
                    models.Index(fields=["buyer_id"], name="meetingfigures_buyer"),
                ],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
