"""Reciprocal buyer–seller recommendations: whom each company should meet, and why.

The scores that do not depend on anyone's clicks come from the index (`index`: two-way scores
from HS codes, text, sectors and markets; `hs_inference`: HS codes guessed for companies that
only describe what they want). This module applies what can change between two page views and
says why each counterpart was suggested, in the viewer's language.

The user's marks steer the list: "Must meet" and "Meet" by either side lift a pair, "No thanks"
by either side removes it, as does any pending, accepted or declined meeting request. Reasons
name HS codes inferred from text as inferred.

The text model is pluggable (`BIZWEEK_RECOMMENDER_BACKEND`): the default needs no model; an
`EmbeddingBackend` loads a multilingual sentence-embedding model from a local directory only.
Names that lived here before the split are re-exported, since settings, callers and tests name
them through this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from bizweek.companies.models import Company
from bizweek.countries import country_name
from bizweek.matching.models import Mark, MarkValue, MeetingRequest, RequestState

from .hs_inference import (  # noqa: F401  re-exported: named through this module
    BOILERPLATE_COMPANIES,
    BOILERPLATE_MAX,
    BOILERPLATE_PURITY,
    INFER_RELATIVE,
    INFER_SECTOR_PRIOR,
    INFER_SIGMAS,
    MAX_INFERRED,
    MAX_SEGMENTS,
    PROFILE_STRINGS,
    SEGMENT_FLOOR,
    SEGMENT_MARGIN,
)
from .index import (  # noqa: F401  re-exported: named through this module
    COVERAGE_SHARE,
    INFERRED_DISCOUNT,
    LEVEL_BASE,
    WEIGHTS,
    PairScores,
    RecommendationIndex,
    build_index,
    clear_cache,
    fingerprint,
    get_index,
)
from .similarity import (  # re-exported: settings may name them here
    DEFAULT_BACKEND,
    EmbeddingBackend,
    TextSimilarityBackend,
    TfidfBackend,
    backend_path,
    get_backend,
)
from .text import LANG_SUFFIXES

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

MARK_BOOST = {MarkValue.MUST_MEET: 0.5, MarkValue.MEET: 0.2}  # share of the gap to 1 closed
BLOCKING_STATES = (RequestState.PENDING, RequestState.ACCEPTED, RequestState.DECLINED)
TEXT_REASON_MIN = 0.35
BLOCK_ROWS = 512


def _lang_suffix(language: str) -> str:
    suffix = (language or "en").replace("-", "_").lower()
    return suffix if suffix in LANG_SUFFIXES else "en"


def _lang_code(language: str) -> str:
    return _lang_suffix(language).replace("_", "-")


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
