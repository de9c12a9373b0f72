"""HS headings inferred from what a company writes, for companies that give no HS code.

Why: buyers often describe what they want only in text ("进口米酒、辣椒酱和芝麻油"), and HS
codes are what best matches them with sellers, so their headings are guessed from that text.

Every heading has a profile: its names in all languages plus the products filed under it across
the event (a seller who named its product in Chinese teaches the profile a word a Chinese buyer
will use). The text is cut into phrases at punctuation and "and"/和, so a list of wanted goods
gives one phrase per good, and each phrase votes for its closest profile unless it is closer to
boilerplate ("samples and quotations welcome", learnt from phrases that companies with
unrelated codes all write). When no phrase votes, the whole text is compared with the profiles.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.utils.html import strip_tags

from bizweek.crosslingual import gloss
from bizweek.expo.search import normalise

from .similarity import TextSimilarityBackend
from .text import _clean, _names, _text

MAX_INFERRED = 6
INFER_SECTOR_PRIOR = 1.15  # headings in the chapters of the company's own sectors
SEGMENT_FLOOR = 0.03  # least similarity of a phrase to a heading that counts (TF-IDF cosine)
SEGMENT_MARGIN = 1.2  # a phrase must be this much closer to a heading than to boilerplate
MAX_SEGMENTS = 40
BOILERPLATE_COMPANIES = 3  # a phrase written by at least this many companies…
BOILERPLATE_PURITY = 0.5  # …with no heading shared by this share of them is boilerplate
BOILERPLATE_MAX = 2000
# Fallback on the whole text: headings this close to the best one and standing out.
INFER_RELATIVE = 0.55
INFER_SIGMAS = 3.0
PROFILE_STRINGS = 40  # most frequent product texts per heading profile
SEGMENT_BLOCK = 2048  # phrases compared with the profiles at a time (bounds memory)
_MODEL_NUMBER = re.compile(r"\S*\d\S*")
_SEGMENT_SPLIT = re.compile(r"[,、;；。.!?！？()（）\[\]:：/|\n]+|\s+(?:and|or|&)\s+|和|及|与")


def _heading_profiles(
    hs_rows: dict[str, dict[str, str]], products: list[tuple], cache: dict[str, str]
) -> tuple[list[str], list[str]]:
    """For each HS heading: its names, its subheadings' names and the event's products under it.

    Product texts are the bridge the taxonomy lacks: a seller who named its "减速机" in Chinese
    teaches the heading profile a word a Chinese-only buyer will use. Model numbers are dropped
    and only the most frequent texts kept, so big headings do not drown in catalogue noise.
    """
    texts: dict[str, Counter] = {}
    for _company_id, hs_code, *strings in products:
        if hs_code and len(hs_code) >= 4:
            counter = texts.setdefault(hs_code[:4], Counter())
            for value in strings:
                value = (
                    " ".join(_MODEL_NUMBER.sub(" ", _clean(value, cache)).split()) if value else ""
                )
                if value:
                    counter[value] += 1
    headings = sorted({code for code in hs_rows if len(code) == 4} | set(texts))
    children: dict[str, list[str]] = {}
    for code, names in hs_rows.items():
        if len(code) == 6:
            children.setdefault(code[:4], []).extend(names.values())
    profiles = []
    for heading in headings:
        parts = list(hs_rows.get(heading, {}).values()) + children.get(heading, [])
        parts += [text for text, _n in texts.get(heading, Counter()).most_common(PROFILE_STRINGS)]
        profiles.append(_text(parts, cache))
    return headings, profiles


def _segments(parts: Iterable[str], cache: dict[str, str]) -> list[str]:
    """Phrases of a text cut at punctuation and "and": a list of wanted goods gives one phrase
    per item, so each item can point to its own heading."""
    found: dict[str, None] = {}
    for part in parts:
        if not part:
            continue
        for piece in _SEGMENT_SPLIT.split(normalise(strip_tags(part) if "<" in part else part)):
            cleaned = _clean(piece, cache)
            if len(cleaned) >= 2:
                english = _clean(gloss(piece), cache)
                found.setdefault(f"{cleaned} {english}" if english else cleaned)
    return list(found)[:MAX_SEGMENTS]


def _boilerplate(segments: dict[int, list[str]], headings: list[dict[str, float]]) -> list[str]:
    """Phrases companies write whatever they trade ("samples and quotations welcome").

    Learnt from the companies that declared codes: a phrase several of them use, with no
    heading that half of them share, says nothing about goods.
    """
    seen: dict[str, list[int]] = {}
    for row, phrases in segments.items():
        for phrase in phrases:
            seen.setdefault(phrase, []).append(row)
    found = []
    for phrase, rows in seen.items():
        if len(rows) < BOILERPLATE_COMPANIES:
            continue
        counts = Counter(code for row in rows for code in headings[row])
        top = counts.most_common(1)[0][1] if counts else 0
        if top < BOILERPLATE_PURITY * len(rows):
            found.append((-len(rows), phrase))
    return [phrase for _n, phrase in sorted(found)[:BOILERPLATE_MAX]]


def _whole_text_headings(sims: np.ndarray, headings: list[str]) -> dict[str, float]:
    """Fallback when no phrase names goods: the headings the whole text is clearly closest to."""
    best = float(sims.max(initial=0.0))
    if best <= 0:
        return {}
    floor = max(INFER_RELATIVE * best, float(sims.mean() + INFER_SIGMAS * sims.std()))
    order = np.argsort(-sims)[:MAX_INFERRED]
    return {headings[i]: round(float(sims[i] / best), 3) for i in order if sims[i] >= floor}


def _infer_headings(
    backend: TextSimilarityBackend,
    layout: dict[str, Any],
    headings: list[str],
    prior: np.ndarray,
) -> list[dict[str, float]]:
    """HS headings for each company without codes, weighted 0..1, from its phrases or its text.

    Each phrase votes for the heading profile it is most similar to, if it is similar enough
    and closer to it than to any boilerplate phrase; a heading's weight is its best vote
    relative to the company's best.
    """
    rows, owners = layout["missing"], layout["segment_owner"]
    profile_rows, segment_rows = layout["profiles"], layout["segments"]
    boiler_rows = layout["boilerplate"]
    floor = float(getattr(backend, "segment_floor", SEGMENT_FLOOR))
    votes: list[dict[str, float]] = [{} for _ in rows]
    for start in range(0, len(segment_rows), SEGMENT_BLOCK):
        chunk = segment_rows[start : start + SEGMENT_BLOCK]
        owner = owners[start : start + len(chunk)]
        sims = backend.similarity(chunk, profile_rows) * prior[owner]
        best_col = sims.argmax(axis=1)
        best = sims[np.arange(len(chunk)), best_col]
        background = (
            backend.similarity(chunk, boiler_rows).max(axis=1)
            if len(boiler_rows)
            else np.zeros(len(chunk))
        )
        for i in np.flatnonzero((best >= floor) & (best > SEGMENT_MARGIN * background)):
            found, heading = votes[owner[i]], headings[best_col[i]]
            found[heading] = max(found.get(heading, 0.0), float(best[i]))
    results = []
    for i, row in enumerate(rows):
        found = votes[i]
        if not found:
            sims = backend.similarity(np.array([row]), profile_rows)[0] * prior[i]
            results.append(_whole_text_headings(sims, headings))
            continue
        top = max(found.values())
        ranked = sorted(found.items(), key=lambda item: -item[1])[:MAX_INFERRED]
        results.append({code: round(value / top, 3) for code, value in ranked})
    return results


@dataclass
class InferencePlan:
    """What inference adds to the text backend's single fit, and where each part will sit.

    The backend is fit once on everything it will compare, so heading profiles, phrases and
    boilerplate are fitted together with the company texts, right after them.
    """

    headings: list[str]
    texts: list[str]  # heading profiles, then phrases, then boilerplate
    layout: dict[str, Any]  # rows of the fitted texts: companies without codes, profiles…


def plan_inference(
    companies: list[dict[str, Any]],
    codes: list[dict[int, dict[str, float]]],
    product_texts: list[list[str]],
    hs_rows: dict[str, dict[str, str]],
    products: list[tuple],
    cache: dict[str, str],
) -> InferencePlan:
    """The texts to fit for companies without codes, ahead of the fit they must be part of.

    Boilerplate is learnt from the companies that declared codes and applied to those without.
    """
    headings, profiles = _heading_profiles(hs_rows, products, cache)
    n = len(companies)
    missing = np.array([row for row in range(n) if not codes[row][2]], dtype=np.int64)
    phrases = {
        row: _segments(
            [*_names(companies[row], "name"), *_names(companies[row], "description")], cache
        )
        for row in range(n)
    }
    boilerplate = _boilerplate(
        {row: found for row, found in phrases.items() if codes[row][2]},
        [row_codes[4] for row_codes in codes],
    )
    missing_phrases = [phrases[row] + _segments(product_texts[row], cache) for row in missing]
    segment_texts = [phrase for found in missing_phrases for phrase in found]
    offset = n + len(profiles)
    layout = {
        "missing": missing,
        "profiles": np.arange(n, offset),
        "segments": np.arange(offset, offset + len(segment_texts)),
        "segment_owner": np.repeat(
            np.arange(len(missing)), [len(found) for found in missing_phrases]
        ).astype(np.int64),
        "boilerplate": np.arange(
            offset + len(segment_texts), offset + len(segment_texts) + len(boilerplate)
        ),
    }
    return InferencePlan(headings, profiles + segment_texts + boilerplate, layout)


def infer_codes(
    backend: TextSimilarityBackend,
    plan: InferencePlan,
    codes: list[dict[int, dict[str, float]]],
    sectors: list[list[int]],
    sector_chapters: dict[int, list[str] | None],
) -> np.ndarray:
    """Give companies without codes inferred headings and chapters, so they score like others.

    Fills `codes` in place (headings, and chapters at the best weight of their headings) and
    returns which rows were inferred, so scores can discount them and reasons can say so.
    Headings in the chapters of a company's own sectors get a small prior.
    """
    missing, headings = plan.layout["missing"], plan.headings
    inferred = np.zeros(len(codes), dtype=bool)
    if len(missing) and headings:
        prior = np.ones((len(missing), len(headings)), dtype=np.float32)
        for i, row in enumerate(missing):
            chapters = {ch for sid in sectors[row] for ch in sector_chapters.get(sid) or []}
            if chapters:
                prior[i, [h[:2] in chapters for h in headings]] = INFER_SECTOR_PRIOR
        for row, found in zip(
            missing, _infer_headings(backend, plan.layout, headings, prior), strict=True
        ):
            if found:
                inferred[row] = True
                codes[row][4] = found
                for heading, weight in found.items():
                    chapter = codes[row][2]
                    chapter[heading[:2]] = max(chapter.get(heading[:2], 0.0), weight)
    return inferred
