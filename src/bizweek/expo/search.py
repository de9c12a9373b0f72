"""One search engine for the hall pages, the API and `bizweek search`.

Text in any language is normalised (NFKC, lower case, Traditional → Simplified Chinese) and cut
into tokens: latin words, and for Chinese, Korean and Japanese runs every character pair
(bigram) plus every single character. A query's CJK run must appear as consecutive bigrams
(a phrase), so "化妆品" matches "…化妆品…" but not "化…妆…品"; a one-character query matches
the single-character tokens. Latin words match as prefixes ("excavator" finds "excavators").

Each company's document carries its names, its products, the names of its HS codes and sectors
in all four languages, and its descriptions, in four weighted columns. The HS and sector names
are the bridge between languages: an English "excavator" reaches a Korean-only booth that
sells HS 8429, and "化妆品" a Korean cosmetics maker (HS 3304).

The index lives in the database: an FTS5 table (`expo_search_fts`, bm25 ranking) on SQLite,
a weighted `tsvector` column with a GIN index (ts_rank) on PostgreSQL.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

from bizweek.chinese import to_simplified, to_traditional
from bizweek.crosslingual import gloss

# Han (incl. extension A and compatibility), Hangul syllables and jamo, Hiragana, Katakana.
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f\u3040-\u30ff"
_SEGMENT = re.compile(rf"([{CJK}]+)|([0-9a-z\u00c0-\u024f]+)")
COLUMNS = ("names", "products", "taxonomy", "body")
WEIGHTS = {"names": 10.0, "products": 5.0, "taxonomy": 2.5, "body": 1.0}
PG_WEIGHT_LETTERS = {"names": "A", "products": "B", "taxonomy": "C", "body": "D"}
MAX_QUERY_LENGTH = 200


def normalise(text: str) -> str:
    return to_simplified(unicodedata.normalize("NFKC", text or "").lower())


def tokens(text: str) -> list[str]:
    """Index tokens: words and bigrams in text order (phrases need it), then single characters."""
    stream: list[str] = []
    singles: dict[str, None] = {}
    for cjk, word in _SEGMENT.findall(normalise(text)):
        if word:
            stream.append(word)
            continue
        stream.extend(cjk[i : i + 2] for i in range(len(cjk) - 1))
        for char in cjk:
            singles[char] = None
    return stream + list(singles)


@dataclass(frozen=True)
class Term:
    """One part of a query: a phrase of bigrams, a single character, or a word prefix."""

    kind: str  # "phrase" | "char" | "prefix"
    parts: tuple[str, ...]


def parse_query(query: str) -> list[Term]:
    terms: list[Term] = []
    for cjk, word in _SEGMENT.findall(normalise(query[:MAX_QUERY_LENGTH])):
        if word:
            terms.append(Term("prefix", (word,)))
        elif len(cjk) == 1:
            terms.append(Term("char", (cjk,)))
        else:
            terms.append(Term("phrase", tuple(cjk[i : i + 2] for i in range(len(cjk) - 1))))
    return list(dict.fromkeys(terms))


# --- documents -----------------------------------------------------------------------------

LANG_SUFFIXES = ("ko", "zh_hans", "zh_hant", "en")


def _all_languages(obj: object, field: str) -> list[str]:
    return [getattr(obj, f"{field}_{suffix}", "") or "" for suffix in LANG_SUFFIXES]


def document_for(company) -> dict[str, str]:  # noqa: ANN001
    """The four columns of a company's document, as token strings.

    Expects sectors, HS codes (with parents) and products to be prefetched in bulk.
    """
    products = [p for p in company.products.all() if p.is_published]
    hs_codes = {hs.code: hs for hs in company.hs_codes.all()}
    for product in products:
        if product.hs_code is not None:
            hs_codes.setdefault(product.hs_code.code, product.hs_code)
    for hs in list(hs_codes.values()):
        if len(hs.code) == 6 and hs.parent is not None:  # the heading names the goods plainly
            hs_codes.setdefault(hs.parent.code, hs.parent)
    taxonomy = [name for hs in hs_codes.values() for name in _all_languages(hs, "name")]
    taxonomy += [hs.description for hs in hs_codes.values()]
    taxonomy += [
        name for sector in company.sectors.all() for name in _all_languages(sector, "name")
    ]
    own_words = [
        *_all_languages(company, "name"),
        *[text for p in products for text in (*_all_languages(p, "name"), p.description_en)],
        *_all_languages(company, "description"),
    ]
    # English for what the company's own words name (a Chinese product name, "mini diggers"):
    # the bridge from a query in another language, beside the official HS wording.
    taxonomy += [gloss(strip_tags(text)) for text in own_words if text]
    texts = {
        "names": [*_all_languages(company, "name"), company.external_id or ""],
        "products": [name for p in products for name in _all_languages(p, "name")],
        "taxonomy": [*taxonomy, *hs_codes],
        "body": [
            *_all_languages(company, "description"),
            *[text for p in products for text in _all_languages(p, "description")],
            company.city,
        ],
    }
    return {
        column: " ".join(tokens(strip_tags(" \n ".join(filter(None, parts)))))
        for column, parts in texts.items()
    }


def _pg_vector(document: dict[str, str]) -> str:
    """A tsvector literal with positions and weights; built here so PostgreSQL's text parser
    (which depends on the server locale) never splits CJK text."""
    positions: dict[str, list[str]] = {}
    position = 0
    for column in COLUMNS:
        position += 1  # a gap between columns keeps phrases from spanning two of them
        for token in document[column].split():
            position += 1
            if position > 16383:
                break
            positions.setdefault(token, []).append(f"{position}{PG_WEIGHT_LETTERS[column]}")
    return " ".join(
        f"'{_pg_quote(token)}':{','.join(pos[:256])}" for token, pos in positions.items()
    )


def _pg_quote(token: str) -> str:
    return token.replace("\\", "\\\\").replace("'", "''")


def _companies_with_documents(ids: Iterable[int] | None):
    from bizweek.companies.models import Company

    qs = Company.objects.prefetch_related(
        "sectors", "hs_codes__parent", "products__hs_code__parent"
    )
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs


def index_companies(ids: Iterable[int] | None = None, batch: int = 500) -> int:
    """(Re)build the documents of some companies, or of all when `ids` is None."""
    from .models import SearchDocument

    vendor = connection.vendor
    done = 0
    qs = _companies_with_documents(ids).order_by("pk")
    pks = list(qs.values_list("pk", flat=True))
    for start in range(0, len(pks), batch):
        chunk = pks[start : start + batch]
        companies = list(qs.filter(pk__in=chunk))
        documents = {company.pk: document_for(company) for company in companies}
        with transaction.atomic():
            SearchDocument.objects.filter(company_id__in=chunk).delete()
            SearchDocument.objects.bulk_create(
                [SearchDocument(company_id=pk, **doc) for pk, doc in documents.items()]
            )
            with connection.cursor() as cursor:
                if vendor == "sqlite":
                    _delete_fts_rows(cursor, chunk)
                    cursor.executemany(
                        "INSERT INTO expo_search_fts (rowid, names, products, taxonomy, body)"
                        " VALUES (%s, %s, %s, %s, %s)",
                        [(pk, *(doc[c] for c in COLUMNS)) for pk, doc in documents.items()],
                    )
                elif vendor == "postgresql":
                    cursor.executemany(
                        "UPDATE expo_searchdocument SET vector = %s::tsvector "
                        "WHERE company_id = %s",
                        [(_pg_vector(doc), pk) for pk, doc in documents.items()],
                    )
        done += len(companies)
    return done


def _delete_fts_rows(cursor, ids: list[int]) -> None:  # noqa: ANN001
    placeholders = ",".join("%s" for _ in ids)
    cursor.execute(f"DELETE FROM expo_search_fts WHERE rowid IN ({placeholders})", ids)  # noqa: S608


def clear() -> None:
    """Empty the index (before a bulk rebuild such as `bizweek demo --reset`)."""
    from .models import SearchDocument

    SearchDocument.objects.all().delete()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM expo_search_fts")


def remove_companies(ids: Iterable[int]) -> None:
    """Drop companies from the index (SearchDocument rows go with their company)."""
    ids = list(ids)
    if connection.vendor == "sqlite" and ids:
        with connection.cursor() as cursor:
            _delete_fts_rows(cursor, ids)


# --- queries -------------------------------------------------------------------------------


def _fts5_term(term: Term) -> str:
    quoted = [f'"{part.replace(chr(34), chr(34) * 2)}"' for part in term.parts]
    if term.kind == "prefix":
        return quoted[0] + "*"
    if term.kind == "phrase":
        return "(" + " + ".join(quoted) + ")" if len(quoted) > 1 else quoted[0]
    return quoted[0]


def _pg_term(term: Term) -> str:
    quoted = [f"'{_pg_quote(part)}'" for part in term.parts]
    if term.kind == "prefix":
        return quoted[0] + ":*"
    return "(" + " <-> ".join(quoted) + ")" if len(quoted) > 1 else quoted[0]


PARTIAL_BELOW = 5  # fewer full matches than this: also rank companies matching some words
BRIDGE_FLOOR = 0.3  # a bridged match counts if it scores this share of the best one


def ranked_ids(query: str, limit: int = 5000) -> list[tuple[int, float]]:
    """Company ids for `query`, best first, with a score (higher is better).

    First the companies with every term; then those reached through the query's English
    (crosslingual.gloss: 塔吊 → tower crane, "mini digger" → excavator), which meets the
    official HS descriptions and the glosses in the documents; then, when that gives few,
    the companies with most of the query's words.
    """
    terms = parse_query(query)
    if not terms:
        return []
    tiers = [_run(terms, "AND", limit)]
    english = gloss(query[:MAX_QUERY_LENGTH])
    bridge = [term for term in parse_query(english) if term not in terms] if english else []
    if bridge:
        bridged = _run(bridge, "OR", limit)
        best = bridged[0][1] if bridged else 0.0
        tiers.append([(pk, score) for pk, score in bridged if score >= BRIDGE_FLOOR * best])
    if len(terms) > 1 and len({pk for tier in tiers for pk, _s in tier}) < PARTIAL_BELOW:
        tiers.append(_run(terms, "OR", limit))
    ranked: dict[int, float] = {}
    for level, tier in enumerate(tiers):
        top = max((score for _pk, score in tier), default=0.0) or 1.0
        for pk, score in tier:  # a higher tier always outranks a lower one
            ranked.setdefault(pk, len(tiers) - level + max(score, 0.0) / top)
    return sorted(ranked.items(), key=lambda item: -item[1])[:limit]


def _run(terms: list[Term], operator: str, limit: int) -> list[tuple[int, float]]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            match = f" {operator} ".join(_fts5_term(term) for term in terms)
            weights = ", ".join(str(WEIGHTS[c]) for c in COLUMNS)
            cursor.execute(
                f"SELECT rowid, -bm25(expo_search_fts, {weights}) AS score FROM expo_search_fts "  # noqa: S608
                "WHERE expo_search_fts MATCH %s ORDER BY score DESC LIMIT %s",
                [match, limit],
            )
        elif connection.vendor == "postgresql":
            joiner = " & " if operator == "AND" else " | "
            tsquery = joiner.join(_pg_term(term) for term in terms)
            cursor.execute(
                "SELECT company_id, ts_rank(vector, q) AS score "
                "FROM expo_searchdocument, CAST(%s AS tsquery) AS q WHERE vector @@ q "
                "ORDER BY score DESC, company_id LIMIT %s",
                [tsquery, limit],
            )
        else:
            raise ImproperlyConfigured(
                f"Search supports SQLite and PostgreSQL, not {connection.vendor}."
            )
        return [(int(pk), float(score)) for pk, score in cursor.fetchall()]


# --- highlighting --------------------------------------------------------------------------


def _needles(query: str) -> list[re.Pattern]:
    patterns = []
    for term in parse_query(query):
        if term.kind == "prefix":
            patterns.append(re.compile(rf"(?<![0-9a-z]){re.escape(term.parts[0])}", re.IGNORECASE))
            continue
        run = (
            term.parts[0]
            if term.kind == "char"
            else term.parts[0] + "".join(p[1] for p in term.parts[1:])
        )
        variants = {run, to_traditional(run)}
        patterns.append(
            re.compile("|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True)))
        )
    return patterns


def matches(text: str, query: str) -> bool:
    return any(pattern.search(text or "") for pattern in _needles(query))


def highlight(text: str, query: str) -> SafeString:
    """Escape `text` and wrap the parts that match the query in <mark>."""
    text = text or ""
    spans: list[tuple[int, int]] = []
    for pattern in _needles(query):
        spans += [m.span() for m in pattern.finditer(text) if m.end() > m.start()]
    if not spans:
        return escape(text)
    spans.sort()
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, last = [], 0
    for start, end in merged:
        out.append(escape(text[last:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        last = end
    out.append(escape(text[last:]))
    return mark_safe("".join(out))


def snippet(text: str, query: str, width: int = 120) -> SafeString:
    """A window of `text` around its first match, highlighted."""
    text = " ".join((text or "").split())
    first = min(
        (m.start() for pattern in _needles(query) if (m := pattern.search(text))), default=0
    )
    start = max(0, first - width // 3)
    piece = text[start : start + width]
    prefix = "…" if start else ""
    suffix = "…" if start + width < len(text) else ""
    return mark_safe(prefix + highlight(piece, query) + suffix)
