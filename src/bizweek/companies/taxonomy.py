"""The HS product taxonomy and the sector list, loaded from JSON files shipped in data/."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from bizweek.chinese import to_traditional


def _read(name: str) -> list[dict[str, Any]]:
    return json.loads(
        resources.files("bizweek.companies").joinpath("data", name).read_text("utf-8")
    )


def hs_rows() -> list[dict[str, Any]]:
    return _read("hs.json")


def sector_rows() -> list[dict[str, Any]]:
    return _read("sectors.json")


def _parent_code(code: str) -> str | None:
    return {2: None, 4: code[:2], 6: code[:4]}[len(code)]


def load_taxonomy(hs_model: Any, sector_model: Any) -> tuple[int, int]:
    """Create or update every HS code and sector. Idempotent; works on historical models too.

    Traditional Chinese names are derived with OpenCC from the Simplified ones.
    """
    rows = hs_rows()
    existing = set(hs_model.objects.values_list("code", flat=True))
    fields = ["name_ko", "name_zh_hans", "name_zh_hant", "name_en", "parent_id"]
    objects = []
    for row in rows:
        code = row["code"]
        objects.append(
            hs_model(
                code=code,
                parent_id=_parent_code(code),
                name_en=row["en"],
                name_ko=row["ko"],
                name_zh_hans=row["zh_hans"],
                name_zh_hant=row.get("zh_hant") or to_traditional(row["zh_hans"]),
                chinese_derived=[] if row.get("zh_hant") else ["name_zh_hant"],
            )
        )
    # Parents first, so the foreign keys resolve on databases that check them immediately.
    objects.sort(key=lambda obj: len(obj.code))
    new = [obj for obj in objects if obj.code not in existing]
    old = [obj for obj in objects if obj.code in existing]
    hs_model.objects.bulk_create(new, batch_size=500)
    if old:
        hs_model.objects.bulk_update(old, [*fields, "chinese_derived"], batch_size=500)
    for position, row in enumerate(sector_rows()):
        sector_model.objects.update_or_create(
            code=row["code"],
            defaults={
                "position": position,
                "hs_chapters": row.get("hs_chapters", []),
                "name_en": row["en"],
                "name_ko": row["ko"],
                "name_zh_hans": row["zh_hans"],
                "name_zh_hant": row.get("zh_hant") or to_traditional(row["zh_hans"]),
            },
        )
    return len(rows), len(sector_rows())
