"""Reciprocal buyer–seller recommendations: whom each company should meet, and why.

A pair is scored in both directions, would the buyer want this seller and the seller this
buyer, and the two directional scores are combined with a harmonic mean, so a pair ranks high
only when both sides have a reason to meet. Each direction mixes:

- HS codes: a shared subheading beats a shared heading, which beats a shared chapter; the more
  of what one side wants (or sells) the other covers, the higher;
- text similarity of names, descriptions and products in every language (TF-IDF over character
  n-grams of normalised text, Traditional Chinese folded into Simplified). The names of a
  company's HS codes and sectors in all four languages are part of its text: they are the
  bridge that lets a Chinese description reach a Korean-only seller;
- sectors, and market fit (the seller already sells into the buyer's country) when the seller
  has said where it sells.

Companies without any HS code (buyers who only describe their wants, or only give a name) get
HS headings inferred from their text. Every heading has a profile: its names in all languages
plus the products filed under it across the event (a seller who named its product in Chinese
teaches the profile a word a Chinese buyer will use). The text is cut into phrases at
punctuation and "and"/和, so "进口米酒、辣椒酱和芝麻油" gives one phrase per wanted good, and each
phrase votes for its closest profile unless it is closer to boilerplate ("samples and
quotations welcome", learnt from phrases that companies with unrelated codes all write). When
no phrase votes, the whole text is compared with the profiles. The inferred codes are used like
declared ones, slightly discounted, and named as inferred in the reasons.

The user's marks steer the list: "Must meet" and "Meet" by either side lift a pair, "No thanks"
by either side removes it, as does any pending, accepted or declined meeting request.

Everything that does not depend on marks and requests is built once for all approved companies
in a `RecommendationIndex` and kept in-process until a cheap fingerprint of the data changes.
The text model is pluggable (`BIZWEEK_RECOMMENDER_BACKEND`): the default needs no model; an
`EmbeddingBackend` loads a multilingual sentence-embedding model from a local directory only.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import translation
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from scipy import sparse

from bizweek.companies.models import Company, CompanyRole, CompanyStatus, HSCode, Sector
from bizweek.countries import country_name
from bizweek.expo.models import Product
from bizweek.expo.search import normalise

from .models import Mark, MarkValue, MeetingRequest, RequestState
from .similarity import (  # re-exported: settings may name them here
    DEFAULT_BACKEND,
    EmbeddingBackend,
    TextSimilarityBackend,
    TfidfBackend,
    backend_path,
    get_backend,
)

__all__ = [
    "DEFAULT_BACKEND",
    "EmbeddingBackend",
    "Recommendation",
    "TextSimilarityBackend",
    "TfidfBackend",
    "backend_path",
    "build_index",
    "explain",
    "get_backend",
    "recommend",
    "recommend_all",
]

LANG_SUFFIXES = ("ko", "zh_hans", "zh_hant", "en")

# Weights of the parts of a directional score; a part the data cannot judge is left out and
# the others are renormalised (market fit only counts when the seller listed its markets).
WEIGHTS = {"hs": 0.6, "text": 0.2, "sector": 0.12, "market": 0.08}
# A shared subheading is the strongest evidence, a shared chapter a weak one.
LEVEL_BASE = {6: 1.0, 4: 0.85, 2: 0.35}
# Within a level, how much the share of one side's codes that the other covers matters.
COVERAGE_SHARE = 0.7
INFERRED_DISCOUNT = 0.9  # a guess from text counts a little less than a declared code
MARK_BOOST = {MarkValue.MUST_MEET: 0.5, MarkValue.MEET: 0.2}  # share of the gap to 1 closed
BLOCKING_STATES = (RequestState.PENDING, RequestState.ACCEPTED, RequestState.DECLINED)
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
TEXT_REASON_MIN = 0.35
BLOCK_ROWS = 512
_MODEL_NUMBER = re.compile(r"\S*\d\S*")
_NON_WORD = re.compile(r"[\W_]+")
# Catalogue numbers ("MM-880", "DH35X"): letters and digits mixed, unique to one product.
_MODEL_CODE = re.compile(
    r"\b(?=[A-Za-z\d-]{4,}\b)(?=[A-Za-z-]*\d)(?=[\d-]*[A-Za-z])[A-Za-z\d]+(?:-[A-Za-z\d]+)*\b"
)
_SEGMENT_SPLIT = re.compile(r"[,、;；。.!?！？()（）\[\]:：/|\n]+|\s+(?:and|or|&)\s+|和|及|与")


# --- the index -------------------------------------------------------------------------------


def _lang_suffix(language: str) -> str:
    suffix = (language or "en").replace("-", "_").lower()
    return suffix if suffix in LANG_SUFFIXES else "en"


def _lang_code(language: str) -> str:
    return _lang_suffix(language).replace("_", "-")


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
    """Clean, de-duplicated text (a zh-hant copy of a zh-hans text adds nothing)."""
    seen: dict[str, None] = {}
    for part in parts:
        if part and (cleaned := _clean(part, cache)):
            seen.setdefault(cleaned)
    return " \n ".join(seen)


def _expand(code: str) -> tuple[str | None, str | None, str]:
    """(subheading, heading, chapter) of an HS code of 2, 4 or 6 digits."""
    return (
        code if len(code) == 6 else None,
        code[:4] if len(code) >= 4 else None,
        code[:2],
    )


def _weighted_matrix(rows: list[dict[str, float]], columns: dict[str, int]) -> sparse.csr_matrix:
    indptr, indices, data = [0], [], []
    for row in rows:
        for key, weight in row.items():
            indices.append(columns[key])
            data.append(weight)
        indptr.append(len(indices))
    return sparse.csr_matrix(
        (np.asarray(data, dtype=np.float32), indices, indptr),
        shape=(len(rows), max(len(columns), 1)),
    )


def fingerprint() -> tuple:
    """Changes when approved companies, products or their HS/sector links change."""
    companies = Company.objects.filter(status=CompanyStatus.APPROVED).aggregate(
        n=Count("id"), at=Max("updated_at")
    )
    products = Product.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    hs_links = Company.hs_codes.through.objects.aggregate(n=Count("id"), last=Max("id"))
    sector_links = Company.sectors.through.objects.aggregate(n=Count("id"), last=Max("id"))
    return (
        companies["n"],
        companies["at"],
        products["n"],
        products["at"],
        hs_links["n"],
        hs_links["last"],
        sector_links["n"],
        sector_links["last"],
        backend_path(),
        str(getattr(settings, "BIZWEEK_EMBEDDING_MODEL_PATH", "")),
    )


@dataclass
class PairScores:
    """Scores of every (viewer, candidate) pair of a block, and the parts behind them."""

    score: np.ndarray  # harmonic mean of the two directions, before marks
    forward: np.ndarray  # would the viewer want the candidate
    backward: np.ndarray  # would the candidate want the viewer
    text: np.ndarray
    hs_forward: np.ndarray
    sector_forward: np.ndarray
    market: np.ndarray


@dataclass
class RecommendationIndex:
    """Everything about the approved companies that recommendations need, built in bulk."""

    fingerprint: tuple
    ids: np.ndarray
    is_seller: np.ndarray
    countries: list[str]
    codes: list[dict[int, dict[str, float]]]  # per row: level -> {code: weight}
    inferred: np.ndarray  # the row's HS codes were inferred from its text
    hs: dict[int, sparse.csr_matrix]  # level -> rows × codes (weights)
    hs_weight: dict[int, np.ndarray]  # level -> sum of a row's weights
    sectors: sparse.csr_matrix
    sector_ids: list[int]
    exports: sparse.csr_matrix  # a seller's markets
    places: sparse.csr_matrix  # a buyer's country and markets
    has_markets: np.ndarray
    markets: list[list[str]]  # a seller's markets; a buyer's country, then its markets
    backend: TextSimilarityBackend
    text_low: float
    text_high: float
    hs_names: dict[str, dict[str, str]]
    sector_names: dict[int, dict[str, str]]
    row_of: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.row_of = {int(pk): row for row, pk in enumerate(self.ids)}
        self.seller_rows = np.flatnonzero(self.is_seller)
        self.buyer_rows = np.flatnonzero(~self.is_seller)
        self.sector_count = np.asarray(self.sectors.sum(axis=1), dtype=np.float32).ravel()
        self.hs6, self.hs4, self.hs2 = self.hs[6], self.hs[4], self.hs[2]
        self._transposed: dict[tuple[str, bytes], sparse.csr_matrix] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def candidates(self, row: int) -> np.ndarray:
        """The rows a company may be recommended: every approved company of the other role."""
        return self.buyer_rows if self.is_seller[row] else self.seller_rows

    def text_scores(self, v: np.ndarray, c: np.ndarray) -> np.ndarray:
        raw = self.backend.similarity(v, c).astype(np.float32, copy=False)
        span = max(self.text_high - self.text_low, 1e-6)
        raw -= self.text_low
        raw /= span
        return np.clip(raw, 0.0, 1.0, out=raw)

    def _columns(self, name: str, c: np.ndarray) -> sparse.csr_matrix:
        """`matrix[c].T` as CSR, kept while the same candidates come back block after block."""
        key = (name, c.tobytes())
        hit = self._transposed.get(key)
        if hit is None:
            if len(self._transposed) >= 16:  # all sellers and all buyers, for each matrix
                self._transposed.clear()
            hit = self._transposed[key] = getattr(self, name)[c].T.tocsr()
        return hit

    def _product(self, left: str, right: str, v: np.ndarray, c: np.ndarray) -> np.ndarray:
        product = getattr(self, left)[v] @ self._columns(right, c)
        return product.toarray().astype(np.float32, copy=False)

    def pair_scores(self, v: np.ndarray, c: np.ndarray) -> PairScores:
        """Vectorised scores of viewers `v` against candidates `c` (rows of the index)."""
        shape = (len(v), len(c))
        hs_f = np.zeros(shape, np.float32)
        hs_b = np.zeros(shape, np.float32)
        for level, base in LEVEL_BASE.items():
            name = f"hs{level}"
            shared = self._product(name, name, v, c)
            hit = shared > 0
            weight = self.hs_weight[level]
            of_v = np.minimum(shared / np.maximum(weight[v], 1e-9)[:, None], 1.0)
            of_c = np.minimum(shared / np.maximum(weight[c], 1e-9)[None, :], 1.0)
            low, share = base * (1 - COVERAGE_SHARE), base * COVERAGE_SHARE
            np.maximum(hs_f, np.where(hit, low + share * of_v, 0.0), out=hs_f)
            np.maximum(hs_b, np.where(hit, low + share * of_c, 0.0), out=hs_b)
        guessed = self.inferred[v][:, None] | self.inferred[c][None, :]
        discount = np.where(guessed, np.float32(INFERRED_DISCOUNT), np.float32(1.0))
        hs_f *= discount
        hs_b *= discount
        has_hs = (self.hs_weight[2][v] > 0)[:, None] & (self.hs_weight[2][c] > 0)[None, :]

        shared = self._product("sectors", "sectors", v, c)
        count = self.sector_count
        hit = shared > 0
        of_v = shared / np.maximum(count[v], 1)[:, None]
        of_c = shared / np.maximum(count[c], 1)[None, :]
        sector_f = np.where(hit, 0.5 + 0.5 * of_v, 0.0).astype(np.float32, copy=False)
        sector_b = np.where(hit, 0.5 + 0.5 * of_c, 0.0).astype(np.float32, copy=False)
        has_sector = (count[v] > 0)[:, None] & (count[c] > 0)[None, :]

        fits = self._product("exports", "places", v, c) + self._product("places", "exports", v, c)
        has_market = self.has_markets[v][:, None] | self.has_markets[c][None, :]
        market = ((fits > 0) & has_market).astype(np.float32)

        text = self.text_scores(v, c)
        w = WEIGHTS
        common = w["text"] * text + w["market"] * market
        total = w["text"] + w["hs"] * has_hs + w["sector"] * has_sector + w["market"] * has_market
        hs_f *= has_hs
        hs_b *= has_hs
        sector_f *= has_sector
        sector_b *= has_sector
        forward = (common + w["hs"] * hs_f + w["sector"] * sector_f) / total
        backward = (common + w["hs"] * hs_b + w["sector"] * sector_b) / total
        score = 2 * forward * backward / (forward + backward + 1e-12)
        return PairScores(
            score=score.astype(np.float32, copy=False),
            forward=forward,
            backward=backward,
            text=text,
            hs_forward=hs_f,
            sector_forward=sector_f,
            market=market,
        )


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
                found.setdefault(cleaned)
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
    for start in range(0, len(segment_rows), BLOCK_ROWS * 4):
        chunk = segment_rows[start : start + BLOCK_ROWS * 4]
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


def build_index(backend: TextSimilarityBackend | None = None) -> RecommendationIndex:
    """Read every approved company once and build the vectors; seconds at 11,000 companies."""
    stamp = fingerprint()
    backend = backend or get_backend()
    name_fields = [f"{f}_{s}" for f in ("name", "description") for s in LANG_SUFFIXES]
    companies = list(
        Company.objects.filter(status=CompanyStatus.APPROVED)
        .order_by("pk")
        .values("pk", "role", "country", "markets", "city", *name_fields)
    )
    row_of = {c["pk"]: row for row, c in enumerate(companies)}
    hs_rows = {
        row["code"]: {s: row[f"name_{s}"] or "" for s in LANG_SUFFIXES}
        for row in HSCode.objects.values("code", *[f"name_{s}" for s in LANG_SUFFIXES])
    }
    sector_rows = {
        row["pk"]: {s: row[f"name_{s}"] or "" for s in LANG_SUFFIXES} | {"code": row["code"]}
        for row in Sector.objects.values("pk", "code", *[f"name_{s}" for s in LANG_SUFFIXES])
    }
    sector_chapters = dict(Sector.objects.values_list("pk", "hs_chapters"))

    declared: list[list[str]] = [[] for _ in companies]
    for company_id, code in Company.hs_codes.through.objects.filter(
        company__status=CompanyStatus.APPROVED
    ).values_list("company_id", "hscode_id"):
        declared[row_of[company_id]].append(code)
    sectors: list[list[int]] = [[] for _ in companies]
    for company_id, sector_id in Company.sectors.through.objects.filter(
        company__status=CompanyStatus.APPROVED
    ).values_list("company_id", "sector_id"):
        sectors[row_of[company_id]].append(sector_id)
    product_fields = [f"{f}_{s}" for f in ("name", "description") for s in LANG_SUFFIXES]
    products = list(
        Product.objects.filter(is_published=True, company__status=CompanyStatus.APPROVED)
        .order_by("company_id", "position", "pk")
        .values_list("company_id", "hs_code_id", *product_fields)
    )
    product_texts: list[list[str]] = [[] for _ in companies]
    for company_id, hs_code, *strings in products:
        row = row_of[company_id]
        product_texts[row].extend(
            _MODEL_CODE.sub(" ", value) if value else value for value in strings
        )
        if hs_code:
            declared[row].append(hs_code)

    # HS codes at three levels, declared (weight 1) or, for rows without any, inferred.
    codes: list[dict[int, dict[str, float]]] = []
    for row_codes in declared:
        levels: dict[int, dict[str, float]] = {6: {}, 4: {}, 2: {}}
        for code in row_codes:
            for level, part in zip((6, 4, 2), _expand(code), strict=True):
                if part:
                    levels[level][part] = 1.0
        codes.append(levels)

    texts, cache = [], {}
    for row, company in enumerate(companies):
        taxonomy = [
            name
            for code in {**codes[row][6], **codes[row][4]}
            for name in hs_rows.get(code, {}).values()
        ]
        taxonomy += [
            sector_rows[sid][s] for sid in sectors[row] for s in LANG_SUFFIXES if sid in sector_rows
        ]
        texts.append(
            _text(
                [
                    *_names(company, "name"),
                    *_names(company, "description"),
                    *product_texts[row],
                    *taxonomy,
                ],
                cache,
            )
        )
    headings, profiles = _heading_profiles(hs_rows, products, cache)

    # Companies without codes: their phrases, and boilerplate learnt from those with codes.
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
    backend.fit(texts + profiles + segment_texts + boilerplate)

    inferred = np.zeros(n, dtype=bool)
    if len(missing) and headings:
        prior = np.ones((len(missing), len(headings)), dtype=np.float32)
        for i, row in enumerate(missing):
            chapters = {ch for sid in sectors[row] for ch in sector_chapters.get(sid) or []}
            if chapters:
                prior[i, [h[:2] in chapters for h in headings]] = INFER_SECTOR_PRIOR
        for row, found in zip(
            missing, _infer_headings(backend, layout, headings, prior), strict=True
        ):
            if found:
                inferred[row] = True
                codes[row][4] = found
                for heading, weight in found.items():
                    chapter = codes[row][2]
                    chapter[heading[:2]] = max(chapter.get(heading[:2], 0.0), weight)

    hs, hs_weight = {}, {}
    for level in LEVEL_BASE:
        columns: dict[str, int] = {}
        for row_codes in codes:
            for code in row_codes[level]:
                columns.setdefault(code, len(columns))
        hs[level] = _weighted_matrix([row_codes[level] for row_codes in codes], columns)
        hs_weight[level] = np.asarray(hs[level].sum(axis=1), dtype=np.float32).ravel()

    sector_columns = {sid: i for i, sid in enumerate(sorted(sector_rows))}
    sector_matrix = _weighted_matrix(
        [dict.fromkeys(row_sectors, 1.0) for row_sectors in sectors],
        sector_columns,  # type: ignore[arg-type]
    )
    is_seller = np.array([c["role"] == CompanyRole.SELLER for c in companies], dtype=bool)
    country_columns: dict[str, int] = {}
    exports, places = [], []
    for company, seller in zip(companies, is_seller, strict=True):
        markets = [m for m in (company["markets"] or []) if isinstance(m, str)]
        own = [company["country"], *markets] if not seller else []
        exports.append(dict.fromkeys(markets if seller else [], 1.0))
        places.append(dict.fromkeys(own, 1.0))
        for code in [*markets, company["country"]]:
            country_columns.setdefault(code, len(country_columns))
    has_markets = np.array([bool(row) for row in exports], dtype=bool)

    index = RecommendationIndex(
        fingerprint=stamp,
        ids=np.array([c["pk"] for c in companies], dtype=np.int64),
        is_seller=is_seller,
        countries=[c["country"] for c in companies],
        codes=codes,
        inferred=inferred,
        hs=hs,
        hs_weight=hs_weight,
        sectors=sector_matrix,
        sector_ids=sorted(sector_rows),
        exports=_weighted_matrix(exports, country_columns),
        places=_weighted_matrix(places, country_columns),
        has_markets=has_markets,
        markets=[list(row or places[i]) for i, row in enumerate(exports)],
        backend=backend,
        text_low=0.0,
        text_high=1.0,
        hs_names=hs_rows,
        sector_names=sector_rows,
    )
    index.text_low, index.text_high = _calibrate(index)
    return index


def _calibrate(index: RecommendationIndex) -> tuple[float, float]:
    """Map raw text similarity to 0..1: the median buyer–seller pair is 0, the top 0.5% is 1.

    Makes the text part comparable across backends (TF-IDF cosines are small, embedding
    cosines rarely are) without per-company normalisation, which would break symmetry.
    """
    buyers, sellers = index.buyer_rows, index.seller_rows
    if not len(buyers) or not len(sellers):
        return 0.0, 1.0
    rng = np.random.default_rng(0)
    sample = rng.choice(buyers, size=min(len(buyers), 200), replace=False)
    sims = index.backend.similarity(np.sort(sample), sellers).ravel()
    if sims.size < 200:  # too few pairs for percentiles: scale by the best pair
        return 0.0, max(float(sims.max()), 1e-6)
    low, high = np.percentile(sims, [50, 99.5])
    return float(low), float(max(high, low + 1e-6))


_cache: RecommendationIndex | None = None
_lock = threading.Lock()


def get_index() -> RecommendationIndex:
    """The index for the current data, rebuilt only when the fingerprint changed."""
    global _cache
    stamp = fingerprint()
    index = _cache
    if index is not None and index.fingerprint == stamp:
        return index
    with _lock:
        if _cache is None or _cache.fingerprint != stamp:
            _cache = build_index()
        return _cache


def clear_cache() -> None:
    """Forget the built index (e.g. after bulk updates that bypass `updated_at`)."""
    global _cache
    with _lock:
        _cache = None


# --- marks and requests ----------------------------------------------------------------------


def _blocked_and_marks(
    company_ids: Iterable[int] | None = None,
) -> tuple[set[tuple[int, int]], dict[tuple[int, int], str]]:
    """Pairs (both orders) that must not be suggested, and every mark given (giver, target)."""
    requests = MeetingRequest.objects.filter(state__in=BLOCKING_STATES)
    marks = Mark.objects.all()
    if company_ids is not None:
        ids = list(company_ids)
        requests = requests.filter(Q(from_company_id__in=ids) | Q(to_company_id__in=ids))
        marks = marks.filter(Q(company_id__in=ids) | Q(target_id__in=ids))
    blocked: set[tuple[int, int]] = set()
    for a, b in requests.values_list("from_company_id", "to_company_id"):
        blocked |= {(a, b), (b, a)}
    given = {(a, b): value for a, b, value in marks.values_list("company_id", "target_id", "value")}
    for (a, b), value in given.items():
        if value == MarkValue.NO_THANKS:
            blocked |= {(a, b), (b, a)}
    return blocked, given


def _adjust(score: float, viewer: int, candidate: int, marks: dict[tuple[int, int], str]) -> float:
    for pair in ((viewer, candidate), (candidate, viewer)):
        boost = MARK_BOOST.get(marks.get(pair, ""), 0.0)
        score += (1.0 - score) * boost
    return score


# --- public API ------------------------------------------------------------------------------


@dataclass
class Recommendation:
    """A counterpart to meet: `score` in 0..1, `reasons` as {"code", "text"}, strongest first."""

    company: Company
    score: float
    reasons: list[dict[str, str]]


def _hs_name(index: RecommendationIndex, code: str, suffix: str, limit: int = 90) -> str:
    names = index.hs_names.get(code, {})
    name = names.get(suffix) or names.get("en") or names.get("ko") or ""
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def _hs_reasons(index: RecommendationIndex, v: int, c: int, suffix: str) -> list[dict[str, str]]:
    """Reasons for the deepest HS level both share (at most two codes)."""
    mine, theirs = index.codes[v], index.codes[c]
    for level, code_name in ((6, "hs_subheading"), (4, "hs_heading"), (2, "hs_chapter")):
        shared = sorted(
            set(mine[level]) & set(theirs[level]),
            key=lambda code: -(mine[level][code] * theirs[level][code]),
        )
        if not shared:
            continue
        reasons = []
        for code in shared[:2]:
            values = {"code": code, "name": _hs_name(index, code, suffix)}
            if index.inferred[v]:
                text = _("HS %(code)s: %(name)s, inferred from your description") % values
                reasons.append({"code": "hs_inferred", "text": text})
            elif index.inferred[c]:
                text = _("HS %(code)s: %(name)s, inferred from their description") % values
                reasons.append({"code": "hs_inferred", "text": text})
            elif level == 2:
                text = _("Both in HS chapter %(code)s: %(name)s") % values
                reasons.append({"code": code_name, "text": text})
            else:
                reasons.append(
                    {"code": code_name, "text": _("Both in HS %(code)s: %(name)s") % values}
                )
        return reasons
    return []


def explain(
    index: RecommendationIndex,
    v: int,
    c: int,
    parts: PairScores,
    column: int,
    marks: dict[tuple[int, int], str],
    language: str = "en",
) -> list[dict[str, str]]:
    """Why candidate row `c` suits viewer row `v`, strongest reason first, in `language`."""
    suffix = _lang_suffix(language)
    weighted: list[tuple[float, dict[str, str]]] = []
    viewer_id, candidate_id = int(index.ids[v]), int(index.ids[c])
    with translation.override(_lang_code(language)):
        for giver, target, mine in (
            (viewer_id, candidate_id, True),
            (candidate_id, viewer_id, False),
        ):
            value = marks.get((giver, target))
            if value in MARK_BOOST:
                label = str(MarkValue(value).label)
                text = (
                    _("You marked them “%(mark)s”") if mine else _("They marked you “%(mark)s”")
                ) % {"mark": label}
                weighted.append((2.0 + MARK_BOOST[value], {"code": "mark", "text": text}))
        hs_reasons = _hs_reasons(index, v, c, suffix)
        hs_value = WEIGHTS["hs"] * float(parts.hs_forward[0, column])
        weighted += [(hs_value - i * 1e-3, reason) for i, reason in enumerate(hs_reasons)]
        if float(parts.sector_forward[0, column]) > 0:
            shared = sorted(set(index.sectors[v].indices) & set(index.sectors[c].indices))
            for sid in [index.sector_ids[col] for col in shared[:2]]:
                names = index.sector_names[sid]
                text = _("Both in the %(sector)s sector") % {
                    "sector": names.get(suffix) or names.get("en") or names["code"]
                }
                value = WEIGHTS["sector"] * float(parts.sector_forward[0, column])
                weighted.append((value, {"code": "sector", "text": text}))
        text_value = float(parts.text[0, column])
        if text_value >= TEXT_REASON_MIN:
            weighted.append(
                (
                    WEIGHTS["text"] * text_value,
                    {"code": "text", "text": _("Similar products and descriptions")},
                )
            )
        if float(parts.market[0, column]) > 0:
            seller, buyer = (v, c) if index.is_seller[v] else (c, v)
            where = [m for m in index.markets[seller] if m in index.markets[buyer]]
            names = ", ".join(country_name(code, _lang_code(language)) for code in where[:3])
            if index.is_seller[v]:
                text = _("Buys for %(countries)s, where you already sell") % {"countries": names}
            else:
                text = _("Already sells into %(countries)s") % {"countries": names}
            weighted.append((WEIGHTS["market"], {"code": "market", "text": text}))
    weighted.sort(key=lambda item: -item[0])
    return [reason for _value, reason in weighted]


def recommend(company: Company, limit: int = 10, *, language: str = "en") -> list[Recommendation]:
    """The counterparts `company` should meet, best first, each with its reasons.

    Only approved companies of the other role; pairs with a "No thanks" mark (either side) or a
    pending, accepted or declined request are left out. A company that is not approved gets none.
    """
    index = get_index()
    row = index.row_of.get(company.pk)
    if row is None or limit <= 0:
        return []
    candidates = index.candidates(row)
    if not len(candidates):
        return []
    parts = index.pair_scores(np.array([row]), candidates)
    blocked, marks = _blocked_and_marks([company.pk])
    scores = parts.score[0].astype(np.float64)
    for column, candidate in enumerate(index.ids[candidates]):
        pair = (company.pk, int(candidate))
        if pair in blocked:
            scores[column] = -1.0
        elif pair in marks or pair[::-1] in marks:
            scores[column] = _adjust(scores[column], company.pk, int(candidate), marks)
    order = [int(i) for i in np.argsort(-scores, kind="stable")[:limit] if scores[i] > 0]
    found = Company.objects.in_bulk([int(index.ids[candidates[i]]) for i in order])
    results = []
    for column in order:
        other = found.get(int(index.ids[candidates[column]]))
        if other is None:  # deleted since the index was built
            continue
        reasons = explain(index, row, int(candidates[column]), parts, column, marks, language)
        results.append(Recommendation(other, round(float(scores[column]), 4), reasons))
    return results


def _top(values: np.ndarray, ids: np.ndarray, k: int, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """The k largest values along `axis` (unordered) and the matching ids."""
    if values.shape[axis] <= k:
        return values, ids
    part = np.argpartition(-values, k - 1, axis=axis)
    part = part[:k] if axis == 0 else part[:, :k]
    return np.take_along_axis(values, part, axis=axis), np.take_along_axis(ids, part, axis=axis)


def recommend_all(limit: int = 10) -> dict[int, list[tuple[int, float]]]:
    """Every approved company's top `limit` as (company id, score), best first, in bulk.

    Buyers are scored against all sellers in blocks of rows; each block gives the buyers their
    lists and updates a running top list per seller, so the full matrix is never held.
    """
    index = get_index()
    blocked, marks = _blocked_and_marks()
    sellers, buyers = index.seller_rows, index.buyer_rows
    result: dict[int, list[tuple[int, float]]] = {int(pk): [] for pk in index.ids}
    if not len(sellers) or not len(buyers) or limit <= 0:
        return result
    position = {int(pk): i for i, pk in enumerate(index.ids)}
    adjust_pairs = {pair for pair in marks if pair[0] in position and pair[1] in position}
    adjust_pairs |= {pair[::-1] for pair in adjust_pairs}
    special = [
        (position[a], position[b], a, b)
        for a, b in adjust_pairs | blocked
        if a in position and b in position and not index.is_seller[position[a]]
    ]
    buyer_pos = np.full(len(index), -1)
    buyer_pos[buyers] = np.arange(len(buyers))
    seller_pos = np.full(len(index), -1)
    seller_pos[sellers] = np.arange(len(sellers))
    seller_ids = index.ids[sellers]
    best_vals = np.full((0, len(sellers)), -np.inf, dtype=np.float32)
    best_ids = np.zeros((0, len(sellers)), dtype=np.int64)
    for start in range(0, len(buyers), BLOCK_ROWS):
        block = buyers[start : start + BLOCK_ROWS]
        scores = index.pair_scores(block, sellers).score
        for b_row, s_row, b_id, s_id in special:
            i = buyer_pos[b_row] - start
            if 0 <= i < len(block) and seller_pos[s_row] >= 0:
                j = seller_pos[s_row]
                if (b_id, s_id) in blocked:
                    scores[i, j] = -np.inf
                else:
                    scores[i, j] = _adjust(float(scores[i, j]), b_id, s_id, marks)
        scores[scores <= 0] = -np.inf
        ids = np.broadcast_to(seller_ids, scores.shape)
        top_vals, top_ids = _top(scores, ids, limit, axis=1)
        for r, pk in enumerate(index.ids[block]):
            order = np.argsort(-top_vals[r], kind="stable")
            result[int(pk)] = [
                (int(top_ids[r, o]), round(float(top_vals[r, o]), 4))
                for o in order
                if np.isfinite(top_vals[r, o])
            ]
        buyer_ids = np.broadcast_to(index.ids[block][:, None], scores.shape)
        col_vals, col_ids = _top(scores, buyer_ids, limit, axis=0)
        best_vals = np.concatenate([best_vals, col_vals])
        best_ids = np.concatenate([best_ids, col_ids])
        best_vals, best_ids = _top(best_vals, best_ids, limit, axis=0)
    for j, pk in enumerate(seller_ids):
        order = np.argsort(-best_vals[:, j], kind="stable")
        result[int(pk)] = [
            (int(best_ids[o, j]), round(float(best_vals[o, j]), 4))
            for o in order
            if np.isfinite(best_vals[o, j])
        ]
    return result
