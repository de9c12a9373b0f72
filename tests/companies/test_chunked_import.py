"""Large imports are written in short transactions and undone as a whole if one fails (issue 14).

SQLite has one writer at a time: a 20,000-row file in one transaction held the lock for ~25 s
and other users' writes failed with "database is locked".
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from bizweek.accounts.models import User
from bizweek.companies.importing import CompanyImporter, import_companies
from bizweek.companies.models import Company
from tests.companies.test_importing import GOOD_ROWS, csv_file

BIZWEEK = Path(sys.executable).with_name("bizweek")


def many_rows(count: int, start: int = 0) -> list[dict[str, str]]:
    return [
        dict(
            GOOD_ROWS[0],
            external_id=f"KR-{n:05d}",
            name_en=f"Company {n}",
            contact_email=f"c{n}@example.com",
        )
        for n in range(start, start + count)
    ]


class SmallChunks(CompanyImporter):
    CHUNK_ROWS = 2


class FailsInThirdChunk(SmallChunks):
    """A write that breaks midway (a lost disk, a killed connection) after two chunks committed."""

    def write(self, rows, report, progress):
        self.chunks = getattr(self, "chunks", 0) + 1
        if self.chunks == 3:
            raise RuntimeError("the disk is full")
        return super().write(rows, report, progress)


@pytest.mark.django_db
def test_chunked_import_reports_progress_per_chunk_and_writes_every_row():
    steps: list[tuple[int, int]] = []
    report = SmallChunks().run(csv_file(many_rows(5)), progress=lambda d, t: steps.append((d, t)))
    assert report.ok and (report.created, report.updated) == (5, 0)
    assert Company.objects.count() == 5
    assert steps == [(2, 5), (4, 5), (5, 5)]
    assert User.objects.filter(email__endswith="@example.com").count() == 5


@pytest.mark.django_db
def test_chunked_import_failing_midway_leaves_the_database_as_before():
    import_companies(csv_file([dict(GOOD_ROWS[0], external_id="KR-00000", city="Changwon")]))
    before_users = set(User.objects.values_list("email", flat=True))
    changed = many_rows(6)
    changed[0]["city"] = "Busan"
    changed[0]["hs_codes"] = "8431"
    with pytest.raises(RuntimeError):
        FailsInThirdChunk().run(csv_file(changed))
    assert list(Company.objects.values_list("external_id", flat=True)) == ["KR-00000"]
    kept = Company.objects.get()
    assert kept.city == "Changwon"
    assert sorted(kept.hs_codes.values_list("code", flat=True)) == ["8429", "8431"]
    assert set(User.objects.values_list("email", flat=True)) == before_users


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="the SQLite writer lock")
def test_large_import_leaves_sqlite_writable_for_other_users(tmp_path):
    """A 3,000-company import in one process; another keeps writing sessions meanwhile."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(BIZWEEK_DATA_DIR=str(tmp_path), DEBUG="0", LOG_LEVEL="WARNING")
    subprocess.run(  # noqa: S603
        [BIZWEEK, "migrate", "--noinput", "-v", "0"], env=env, check=True, capture_output=True
    )
    big = tmp_path / "big.csv"
    big.write_bytes(csv_file(many_rows(3000)).getvalue())
    done = tmp_path / "import-done"
    visitor = (
        "import json, pathlib\n"
        "from django.db import OperationalError\n"
        "from django.contrib.sessions.backends.db import SessionStore\n"
        "writes, errors = 0, []\n"
        f"done = pathlib.Path({str(done)!r})\n"
        "while not done.exists() or writes < 5:\n"
        "    try:\n"
        "        s = SessionStore(); s['visit'] = writes; s.create(); writes += 1\n"
        "    except OperationalError as error:\n"
        "        import traceback; errors.append(traceback.format_exc()[-1500:])\n"
        "print(json.dumps({'writes': writes, 'errors': errors}))\n"
    )
    other = subprocess.Popen(  # noqa: S603
        [BIZWEEK, "shell", "-c", visitor], env=env, stdout=subprocess.PIPE, text=True
    )
    imported = subprocess.run(  # noqa: S603
        [BIZWEEK, "import", "companies", str(big)], env=env, capture_output=True, text=True
    )
    done.touch()
    out, _err = other.communicate(timeout=120)
    assert imported.returncode == 0, imported.stderr
    assert "3000 created" in imported.stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["errors"] == []
    assert result["writes"] >= 5


@pytest.mark.django_db
def test_import_command_draws_a_progress_bar_while_writing_chunks(tmp_path):
    path = tmp_path / "companies.csv"
    path.write_bytes(csv_file(many_rows(1200)).getvalue())
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "companies", str(path), stdout=out, stderr=err)
    assert "1200 created" in out.getvalue()
    bars = err.getvalue().split("\r")
    assert any(f"[{'#' * 12}{'.' * 18}] 500/1200 rows" in bar for bar in bars)
    assert f"[{'#' * 30}] 1200/1200 rows" in bars[-2]
    assert Company.objects.count() == 1200
