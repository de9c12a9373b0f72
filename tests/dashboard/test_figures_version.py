"""On PostgreSQL, writers to the figures' tables on different connections do not queue on one
counter row (migration 0005), and every commit still moves the data version."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from bizweek.dashboard.cache import data_version
from bizweek.meetings.models import ConsultationLog

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite takes one writer at a time: there is nothing to spread (PostgreSQL only)",
    ),
    pytest.mark.django_db(transaction=True),
]


def connect() -> psycopg.Connection:
    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"], host=s["HOST"], port=s["PORT"]
    )


def test_a_writer_does_not_wait_for_another_ones_commit(week):
    first, second = ConsultationLog.objects.order_by("pk").values_list("pk", flat=True)[:2]
    a = connect()
    opened = [a]
    try:
        # Rows are picked by server process id: take a second connection on another row.
        b = None
        for _ in range(64):
            c = connect()
            opened.append(c)
            if c.info.backend_pid % 16 != a.info.backend_pid % 16:
                b = c
                break
        assert b is not None
        before = data_version()
        a.execute("UPDATE meetings_consultationlog SET note = 'a' WHERE id = %s", [first])
        b.execute("SET lock_timeout = '5s'")  # with one counter row, this waited for a
        b.execute("UPDATE meetings_consultationlog SET note = 'b' WHERE id = %s", [second])
        b.commit()
        between = data_version()
        a.commit()
        after = data_version()
    finally:
        for c in opened:
            c.close()
    # Each commit moves the version: a counter grows, or a row is created (with a new token).
    assert before != between != after
    assert between["meetings"] >= before["meetings"] and after["meetings"] >= between["meetings"]
    assert ConsultationLog.objects.get(pk=first).note == "a"
