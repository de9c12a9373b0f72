"""The HS product taxonomy and the sector list, loaded from the data files shipped in data/.

The whole HS 2022 nomenclature (data/hs2022/harmonized-system.csv, public domain, see the
README beside it) gives every chapter, heading and subheading with its official English
description. Names in Korean and Simplified Chinese come, in order of preference, from the
hand-made data/hs.json, then from data/hs2022/headings-ko-zh.csv (every heading); a code
without its own translation is named after its nearest translated parent in that language
followed by its English description, so a reader always sees words of their own language.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from importlib import resources
from typing import Any

from bizweek.chinese import to_traditional

NAME_LANGUAGES = ("ko", "zh_hans")
NAME_MAX = 300


def _data(*parts: str) -> str:
    return resources.files("bizweek.companies").joinpath("data", *parts).read_text("utf-8-sig")


def _read(name: str) -> list[dict[str, Any]]:
    return json.loads(_data(name))


def hs_rows() -> list[dict[str, Any]]:
    """The hand-made names (ko, zh_hans, en) of the chapters and the headings in common use."""
    return _read("hs.json")


def sector_rows() -> list[dict[str, Any]]:
    return _read("sectors.json")


@functools.cache
def hs2022_rows() -> tuple[dict[str, str], ...]:
    """Every HS 2022 code with its English description and parent code.

    Comtrade's catch-all "99 · not specified according to kind" is not part of the WCO
    nomenclature, so it is left out.
    """
    rows = []
    for row in csv.DictReader(io.StringIO(_data("hs2022", "harmonized-system.csv"))):
        code = row["hscode"].strip()
        if row["section"] == "TOTAL" or not code.isdigit() or len(code) not in (2, 4, 6):
            continue
        rows.append({"code": code, "description": " ".join(row["description"].split())})
    return tuple(rows)


def heading_translations() -> dict[str, dict[str, str]]:
    """Korean and Simplified Chinese names of the headings (translator-made, see README)."""
    found: dict[str, dict[str, str]] = {}
    for row in csv.DictReader(io.StringIO(_data("hs2022", "headings-ko-zh.csv"))):
        code = (row.get("hscode") or "").strip()
        names = {lang: (row.get(lang) or "").strip() for lang in NAME_LANGUAGES}
        if code.isdigit() and all(names.values()):
            found[code] = names
    return found


def _parent_code(code: str) -> str | None:
    return {2: None, 4: code[:2], 6: code[:4]}[len(code)]


def _clip(text: str) -> str:
    return text if len(text) <= NAME_MAX else text[: NAME_MAX - 1] + "…"


def taxonomy_names() -> list[dict[str, Any]]:
    """Every code with names in ko, zh_hans and en, its description, whether it is translated."""
    handmade = {row["code"]: row for row in hs_rows()}
    headings = heading_translations()
    official = {row["code"]: row["description"] for row in hs2022_rows()}
    codes = sorted(set(official) | set(handmade), key=lambda code: (len(code), code))
    names: dict[str, dict[str, Any]] = {}
    for code in codes:  # parents first: chapters, then headings, then subheadings
        description = official.get(code, "")
        own = handmade.get(code) or headings.get(code)
        row: dict[str, Any] = {"code": code, "description": description, "translated": bool(own)}
        row["en"] = (handmade.get(code) or {}).get("en") or description
        parent = names.get(_parent_code(code) or "")
        for lang in NAME_LANGUAGES:
            if own:
                row[lang] = own[lang]
            elif parent:
                # The nearest translated parent's name (not a composite of composites).
                base = parent[lang] if parent["translated"] else parent["base_" + lang]
                row["base_" + lang] = base
                row[lang] = _clip(f"{base} · {description}")
            else:
                row[lang] = description
            row.setdefault("base_" + lang, row[lang])
        if code in handmade and handmade[code].get("zh_hant"):
            row["zh_hant"] = handmade[code]["zh_hant"]
        names[code] = row
    return list(names.values())


def load_taxonomy(hs_model: Any, sector_model: Any) -> tuple[int, int]:
    """Create or update every HS code and sector. Idempotent; works on historical models too.

    Traditional Chinese names are derived with OpenCC from the Simplified ones.
    """
    rows = taxonomy_names()
    has_description = any(f.name == "description" for f in hs_model._meta.get_fields())
    existing = set(hs_model.objects.values_list("code", flat=True))
    fields = ["name_ko", "name_zh_hans", "name_zh_hant", "name_en", "parent_id"]
    if has_description:
        fields.append("description")
    objects = []
    for row in rows:
        code = row["code"]
        obj = hs_model(
            code=code,
            parent_id=_parent_code(code),
            name_en=_clip(row["en"]),
            name_ko=row["ko"],
            name_zh_hans=row["zh_hans"],
            name_zh_hant=row.get("zh_hant") or to_traditional(row["zh_hans"]),
            chinese_derived=[] if row.get("zh_hant") else ["name_zh_hant"],
        )
        if has_description:
            obj.description = row["description"]
        objects.append(obj)
    # Parents first, so the foreign keys resolve on databases that check them immediately.
    objects.sort(key=lambda obj: len(obj.code))
    new = [obj for obj in objects if obj.code not in existing]
    hs_model.objects.bulk_create(new, batch_size=500)
    # Only rows that differ are written: one UPDATE each is far quicker on SQLite than
    # bulk_update's CASE expressions over thousands of rows.
    fields.append("chinese_derived")
    stored = {row["code"]: row for row in hs_model.objects.values("code", *fields)}
    for obj in objects:
        if obj.code in existing:
            values = {field: getattr(obj, field) for field in fields}
            if any(stored[obj.code][field] != value for field, value in values.items()):
                hs_model.objects.filter(pk=obj.code).update(**values)
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
