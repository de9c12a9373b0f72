"""The recommendation index: every approved company as vectors, and pair scores in bulk.

Why: reading and vectorising every company takes seconds, scoring against the result is cheap,
so everything that does not depend on marks and requests is built once for all approved
companies and kept in-process until a cheap fingerprint of the data changes.

A pair is scored in both directions, would the buyer want this seller and the seller this
buyer, and the two directional scores are combined with a harmonic mean, so a pair ranks high
only when both sides have a reason to meet. Each direction mixes:

- HS codes: a shared subheading beats a shared heading, which beats a shared chapter; the more
  of what one side wants (or sells) the other covers, the higher;
- text similarity of names, descriptions and products in every language (see `similarity`).
  The names of a company's HS codes and sectors in all four languages are part of its text:
  they are the bridge that lets a Chinese description reach a Korean-only seller;
- sectors, and market fit (the seller already sells into the buyer's country) when the seller
  has said where it sells.

Companies without any HS code get headings inferred from their text (see `hs_inference`); they
are used like declared ones, slightly discounted.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import Count, Max
from scipy import sparse

from bizweek.companies.models import Company, CompanyRole, CompanyStatus, HSCode, Sector
from bizweek.expo.models import Product

from .hs_inference import infer_codes, plan_inference
from .similarity import TextSimilarityBackend, backend_path, get_backend
from .text import LANG_SUFFIXES, _names, _text

# Weights of the parts of a directional score; a part the data cannot judge is left out and
# the others are renormalised (market fit only counts when the seller listed its markets).
WEIGHTS = {"hs": 0.6, "text": 0.2, "sector": 0.12, "market": 0.08}
# A shared subheading is the strongest evidence, a shared chapter a weak one.
LEVEL_BASE = {6: 1.0, 4: 0.85, 2: 0.35}
# Within a level, how much the share of one side's codes that the other covers matters.
COVERAGE_SHARE = 0.7
INFERRED_DISCOUNT = 0.9  # a guess from text counts a little less than a declared code
# Catalogue numbers ("MM-880", "DH35X"): letters and digits mixed, unique to one product.
_MODEL_CODE = re.compile(
    r"\b(?=[A-Za-z\d-]{4,}\b)(?=[A-Za-z-]*\d)(?=[\d-]*[A-Za-z])[A-Za-z\d]+(?:-[A-Za-z\d]+)*\b"
)


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
        """Text similarity on the calibrated 0..1 scale, so it mixes with the other parts."""
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
        guessed = self.inferred[v][:, None] | self.inferred[c][None, :]
        for level, base in LEVEL_BASE.items():
            name = f"hs{level}"
            shared = self._product(name, name, v, c)
            hit = shared > 0
            if level == 2:  # a guessed heading's chapter-mates are no evidence (9015 ≠ 9018)
                hit &= ~guessed
            weight = self.hs_weight[level]
            of_v = np.minimum(shared / np.maximum(weight[v], 1e-9)[:, None], 1.0)
            of_c = np.minimum(shared / np.maximum(weight[c], 1e-9)[None, :], 1.0)
            low, share = base * (1 - COVERAGE_SHARE), base * COVERAGE_SHARE
            np.maximum(hs_f, np.where(hit, low + share * of_v, 0.0), out=hs_f)
            np.maximum(hs_b, np.where(hit, low + share * of_c, 0.0), out=hs_b)
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
    # Names in every language plus the official English description: the bridge from
    # everyday words (and their glosses) to the codes.
    hs_rows = {
        row["code"]: {s: row[f"name_{s}"] or "" for s in LANG_SUFFIXES}
        | {"description": row["description"] or ""}
        for row in HSCode.objects.values(
            "code", "description", *[f"name_{s}" for s in LANG_SUFFIXES]
        )
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

    # Companies without codes get headings inferred from their text, within the same fit.
    plan = plan_inference(companies, codes, product_texts, hs_rows, products, cache)
    backend.fit(texts + plan.texts)
    inferred = infer_codes(backend, plan, codes, sectors, sector_chapters)

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


def cached_index() -> RecommendationIndex | None:
    """The index last built in this process, possibly stale: pages that must not wait for a
    build (the home page) read it; `bizweek serve` rebuilds it in the background every minute."""
    return _cache


def clear_cache() -> None:
    """Forget the built index (e.g. after bulk updates that bypass `updated_at`)."""
    global _cache
    with _lock:
        _cache = None
