"""The hand-written evaluation set (bench/data/handwritten/, see its README): loading it into a
fresh database of its own, and the ranking metrics the recommend and search benchmarks report.

Nothing here reads the demo generator: sellers, buyers, grades and queries were written by an
independent annotator, so the figures measure matching on data the code was not built from.
"""

from __future__ import annotations

import csv
import io
import math
import os
import random
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data" / "handwritten"
GROUPS = [
    "coded_en",
    "coded_zh_hans",
    "text_en",
    "text_zh_hans",
    "text_zh_hant_tw",
    "text_zh_hant_hk",
    "name_only",
]
TEXT_GROUPS = ["text_en", "text_zh_hans", "text_zh_hant_tw", "text_zh_hant_hk", "name_only"]
RELEVANT = 2  # grades: 3 exact, 2 relevant, 1 near miss (ranks below every 2 and 3)


def rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def setup_database(name: str) -> Path:
    """Point Django at an empty SQLite database of its own under var/, then django.setup()."""
    data_dir = ROOT / "var" / name
    data_dir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{data_dir / 'bizweek.sqlite3'}{suffix}").unlink(missing_ok=True)
    os.environ["BIZWEEK_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bizweek.settings")
    import django

    django.setup()
    return data_dir


def load() -> dict[str, Any]:
    """Migrate and import the set with the ordinary importers; the import reports go back."""
    from django.core.management import call_command

    from bizweek.companies.importing import import_companies
    from bizweek.expo import search
    from bizweek.expo.importing import import_products

    call_command("migrate", interactive=False, verbosity=0)
    reports = {}
    for kind, name, importer in (
        ("sellers", "sellers.csv", import_companies),
        ("buyers", "buyers.csv", import_companies),
        ("products", "products.csv", import_products),
    ):
        source, cleared = _importable(name)
        report = importer(source)
        if not report.ok:
            raise RuntimeError(f"{name}: {report.as_dict()['errors'][:5]}")
        reports[kind] = {"rows": report.rows, "notes": len(report.notes), "cleared": cleared}
    search.index_companies()
    return reports


def _importable(name: str) -> tuple[io.BytesIO, list[str]]:
    """The file as the importer takes it. Prices with more than 2 decimals (an LED chip at
    0.004 USD) are refused by the importer, so those price cells are left empty; the cells
    cleared are reported. Prices play no part in matching or search."""
    table = rows(name)
    cleared = []
    for number, row in enumerate(table, start=2):
        for column in ("price_min", "price_max"):
            value = row.get(column) or ""
            if "." in value and len(value.split(".", 1)[1]) > 2:
                cleared.append(f"row {number} {column}={value}")
                row["price_min"] = row["price_max"] = ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(table[0]))
    writer.writeheader()
    writer.writerows(table)
    return io.BytesIO(buffer.getvalue().encode("utf-8")), cleared


def ids_by_external() -> dict[str, int]:
    from bizweek.companies.models import Company

    return dict(Company.objects.values_list("external_id", "pk"))


def grades() -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for row in rows("relevance.csv"):
        found.setdefault(row["buyer_external_id"], {})[row["seller_external_id"]] = int(
            row["grade"]
        )
    return found


def buyer_groups() -> dict[str, str]:
    return {row["external_id"]: row["group"] for row in rows("buyer_groups.csv")}


def ndcg(ranked: list[str], graded: dict[str, int], k: int = 10) -> float:
    gains = [graded.get(seller, 0) for seller in ranked[:k]]
    dcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted(graded.values(), reverse=True)[:k]
    best = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / best if best else 0.0


def buyer_metrics(ranked: list[str], graded: dict[str, int]) -> dict[str, float]:
    """NDCG@10 (gain 2^grade − 1), hit@3 (a relevant or exact seller in the top 3), recall@10
    (share of the relevant and exact sellers in the top 10)."""
    relevant = {seller for seller, grade in graded.items() if grade >= RELEVANT}
    return {
        "ndcg_at_10": ndcg(ranked, graded),
        "hit_at_3": float(any(seller in relevant for seller in ranked[:3])),
        "exact_hit_at_3": float(any(graded.get(seller) == 3 for seller in ranked[:3])),
        "recall_at_10": len(relevant & set(ranked[:10])) / len(relevant) if relevant else 0.0,
    }


def by_group(per_buyer: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Means per buyer group, over the text-only groups together, and over all buyers."""
    groups = buyer_groups()
    members = {group: [b for b, g in groups.items() if g == group] for group in GROUPS}
    members["all_text_only"] = [b for b, g in groups.items() if g in TEXT_GROUPS]
    members["all"] = list(groups)
    summary = {}
    for group, buyers in members.items():
        buyers = [b for b in buyers if b in per_buyer]
        if not buyers:
            continue
        metrics = per_buyer[buyers[0]].keys()
        summary[group] = {
            m: round(sum(per_buyer[b][m] for b in buyers) / len(buyers), 4) for m in metrics
        } | {"buyers": len(buyers)}
    return summary


def category_baseline(seed: int = 1) -> dict[str, list[str]]:
    """Sellers sharing most sectors with the buyer, random among ties: what a category filter
    gives. Text-only and name-only buyers have no sectors, so their lists are random."""
    from bizweek.companies.models import Company, CompanyRole

    rng = random.Random(seed)
    companies = Company.objects.prefetch_related("sectors")
    sellers = [c for c in companies if c.role == CompanyRole.SELLER]
    sectors = {c.external_id: {s.code for s in c.sectors.all()} for c in companies}
    lists = {}
    for buyer in (c for c in companies if c.role == CompanyRole.BUYER):
        order = [s.external_id for s in sellers]
        rng.shuffle(order)
        order.sort(key=lambda s: -len(sectors[s] & sectors[buyer.external_id]))
        lists[buyer.external_id] = order[:10]
    return lists
