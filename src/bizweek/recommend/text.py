"""Company text as the recommender compares it, shared by the index and by HS inference.

Both must clean text the same way: a phrase cut from a buyer's description is only comparable
with a heading profile or a company's text if tags, punctuation and script variants were
folded alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.utils.html import strip_tags

from bizweek.crosslingual import gloss
from bizweek.expo.search import normalise

LANG_SUFFIXES = ("ko", "zh_hans", "zh_hant", "en")
_NON_WORD = re.compile(r"[\W_]+")


def _names(row: dict[str, Any], field: str) -> list[str]:
    return [row.get(f"{field}_{suffix}") or "" for suffix in LANG_SUFFIXES]


def _clean(value: str, cache: dict[str, str]) -> str:
    """Normalised text (see expo.search.normalise) with punctuation turned into spaces."""
    hit = cache.get(value)
    if hit is None:
        text = strip_tags(value) if "<" in value else value
        hit = cache[value] = " ".join(_NON_WORD.sub(" ", normalise(text)).split())
    return hit


def _text(parts: Iterable[str], cache: dict[str, str]) -> str:
    """Clean, de-duplicated text (a zh-hant copy of a zh-hans text adds nothing), followed by
    the English the parts stand for (crosslingual.gloss), the bridge to HS wording."""
    seen: dict[str, None] = {}
    glosses: dict[str, None] = {}
    for part in parts:
        if part and (cleaned := _clean(part, cache)):
            seen.setdefault(cleaned)
            if english := _clean(gloss(part), cache):
                glosses.setdefault(english)
    return " \n ".join([*seen, *(g for g in glosses if g not in seen)])
