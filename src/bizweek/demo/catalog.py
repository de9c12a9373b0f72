"""Deterministic content for the demo trade week: Korean sellers and overseas buyers.

Pure Python (no Django): `seller_profile` and `buyer_profile` turn a seeded RNG and a global
index into a company profile dict. The large tables (product catalog, name parts, cities,
templates) live in `catalog_data.json` beside this module and are loaded once, lazily.

A seller's sector and name depend only on its index, so names are unique across any number of
sellers; everything else is drawn from the RNG. Buyers carry `intent_hs`, the HS headings they
really want (ground truth for recommendation benchmarks); about 15% of buyers state those wants
only in their description text and leave `hs_codes` empty.
"""

from __future__ import annotations

import json
import random
from functools import lru_cache
from math import gcd
from pathlib import Path
from typing import Any

SELLER_COUNT = 473  # per scale unit, as at the real event
BUYER_COUNT = 631
TEXT_ONLY_SHARE = 0.15

_DATA_PATH = Path(__file__).with_name("catalog_data.json")
_SIZES = ["1-9", "10-49", "50-249", "250+"]
_SELLER_SIZES = [25, 45, 25, 5]
_STARTUP_SIZES = [55, 40, 5, 0]
_BUYER_SIZES = [30, 40, 22, 8]
_RATES = {"USD": 1.0, "KRW": 1350.0, "CNY": 7.2}
_EMAIL_DOMAIN = "demo.bizweek.test"

Data = dict[str, Any]


@lru_cache(maxsize=1)
def _data() -> Data:
    """The JSON tables plus a few derived lookups, computed once."""
    data = json.loads(_DATA_PATH.read_text("utf-8"))
    weights = data["seller_weights"]
    # Smooth weighted round-robin: a fixed cycle of sectors with exact proportions, spread out.
    cycle, current = [], dict.fromkeys(weights, 0)
    total = sum(weights.values())
    for _ in range(total):
        for code, weight in weights.items():
            current[code] += weight
        best = max(current, key=lambda code: current[code])
        current[best] -= total
        cycle.append(best)
    seen: dict[str, int] = {}
    ranks = []
    for code in cycle:
        ranks.append(seen.get(code, 0))
        seen[code] = seen.get(code, 0) + 1
    data["_cycle"], data["_ranks"] = cycle, ranks
    prefixes = len(data["prefixes"])
    spaces = {}
    for position, code in enumerate(data["sectors"]):
        space = prefixes * len(data["stems"][code])
        step = 7919 + 2 * position
        while gcd(step, space) != 1:
            step += 1
        spaces[code] = (space, step, 101 * position)
    data["_spaces"] = spaces
    step = 1009  # a prime stride walks buyers through every trade name before reusing one
    while gcd(step, len(data["brands"])) != 1:
        step += 1
    data["_brand_step"] = step
    data["_buyer_sectors"] = list(data["buyer_weights"])
    data["_buyer_sector_w"] = list(data["buyer_weights"].values())
    data["_countries_w"] = [c["weight"] for c in data["buyer_countries"]]
    data["_seller_city_w"] = [c["weight"] for c in data["seller_cities"]]
    return data


# --------------------------------------------------------------------------- helpers


def _digits(rng: random.Random, count: int) -> str:
    """A digit string whose first digit is 2-9 (valid as a local subscriber number)."""
    return str(rng.randint(2, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(count - 1))


def _join(items: list[str], lang: str) -> str:
    if lang == "en":
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    if lang == "zh":
        return items[0] if len(items) == 1 else "、".join(items[:-1]) + "和" + items[-1]
    return ", ".join(items)


def _title(name: str) -> str:
    return " ".join(word[:1].upper() + word[1:] for word in name.split(" "))


def _size(rng: random.Random, weights: list[int]) -> str:
    return rng.choices(_SIZES, weights=weights)[0]


def _article(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum())


def _website(rng: random.Random, slug: str, share: float) -> str:
    return f"https://www.{slug}.example" if rng.random() < share else ""


def _name_parts(data: Data, sector: str, ordinal: int) -> tuple[list[str], list[str], list[str]]:
    """Prefix, stem and distinguishing extra for the `ordinal`-th seller of a sector."""
    space, step, offset = data["_spaces"][sector]
    cycle, position = divmod(ordinal, space)
    mixed = (position * step + offset) % space
    prefixes = data["prefixes"]
    prefix = prefixes[mixed % len(prefixes)]
    stem = data["stems"][sector][mixed // len(prefixes)]
    extras = data["name_extras"]
    extra = ["", "", ""]
    if cycle:  # the same prefix+stem is reused: add a word, never a bare number
        first, rest = divmod(cycle - 1, len(extras))
        extra = (
            extras[rest]
            if not first
            else [
                extras[rest][0] + extras[first - 1][0],
                f"{extras[rest][1]} {extras[first - 1][1]}",
                extras[rest][2] + extras[first - 1][2],
            ]
        )
    return prefix, stem, extra


# --------------------------------------------------------------------------- sellers


def _price(rng: random.Random, low: float, high: float) -> tuple[str, str, str]:
    currency = rng.choices(["USD", "KRW", "CNY"], weights=[80, 12, 8])[0]
    rate = _RATES[currency]
    base = rng.uniform(low, low + (high - low) * 0.7)
    top = min(base * rng.uniform(1.05, 1.6), high * 1.2)
    step = 10.0 if currency == "KRW" else (0.01 if base < 10 else 1.0)
    lo = max(step, round(base * rate / step) * step)
    hi = max(lo, round(top * rate / step) * step)
    return f"{lo:.2f}", f"{hi:.2f}", currency


def _products(
    rng: random.Random, data: Data, sectors: list[str], names: dict[str, Any], external_id: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """4-9 product rows (a booth's catalogue) and the main-sector catalog entries behind them."""
    count = rng.randint(4, 9)
    main = data["products"][sectors[0]]
    main_count = count - 1 if len(sectors) > 1 else count
    picks = [(sectors[0], main[i]) for i in rng.sample(range(len(main)), main_count)]
    if len(sectors) > 1:
        picks.append((sectors[1], rng.choice(data["products"][sectors[1]])))
    prefix, stem = names["prefix"], names["stem"]
    letters = (prefix[1][:1] + stem[1][:1]).upper()
    rows = []
    for number, (sector, kind) in enumerate(picks, start=1):
        if kind["style"] == "model":
            model = rng.choice(
                [
                    f"{letters}-{rng.randint(1, 99) * 10}",
                    f"{letters}{rng.randint(100, 990)}",
                    f"{letters}-{rng.randint(1, 9)}{rng.choice('SXHEG')}",
                ]
            )
            ko, zh, en = (
                f"{kind['ko']} {model}",
                f"{kind['zh_hans']} {model}",
                f"{kind['en']} {model}",
            )
        elif rng.random() < 0.5 or sector not in data["lines"]:
            ko, zh = f"{prefix[0]} {kind['ko']}", prefix[2] + kind["zh_hans"]
            en = f"{prefix[1]} {kind['en']}"
        else:
            line = rng.choice(data["lines"][sector])
            ko, zh, en = (
                f"{line[0]} {kind['ko']}",
                line[2] + kind["zh_hans"],
                f"{line[1]} {kind['en']}",
            )
        note = rng.choice(data["product_notes"]) if rng.random() < 0.5 else None
        has_en = rng.random() < (0.9 if names["en"] else 0.3)
        has_zh = rng.random() < (0.9 if names["zh"] else 0.19)
        price_min, price_max, currency = _price(rng, *kind["price"])
        rows.append(
            {
                "external_id": f"{external_id}-P{number}",
                "name_ko": ko,
                "name_zh_hans": zh if has_zh else "",
                "name_en": _title(en) if has_en else "",
                "description_ko": kind["desc_ko"] + (" " + note[0] if note else ""),
                "description_zh_hans": kind["desc_zh"] + (note[2] if note else "")
                if has_zh
                else "",
                "description_en": kind["desc_en"] + (" " + note[1] if note else "")
                if has_en
                else "",
                "hs_code": kind["hs"],
                "moq": rng.choice(kind["moq"]),
                "price_min": price_min,
                "price_max": price_max,
                "currency": currency,
            }
        )
    return rows, [kind for sector, kind in picks if sector == sectors[0]]


def _seller_texts(
    rng: random.Random, data: Data, sector: str, names: dict[str, Any], bases: list[dict]
) -> dict[str, str]:
    """Korean description always; English and Chinese ones when the company has such a name."""
    year = rng.randint(*data["years"].get(sector, [1978, 2020]))
    city = names["city"]
    bases = bases[:3]
    noun = rng.choice(data["nouns"][sector])
    certs = rng.sample(data["certs"][sector], rng.randint(1, 3))
    markets = rng.sample(data["seller_markets"], rng.randint(2, 4))
    countries = data["countries"]
    more = len(markets) + rng.randint(3, 25)
    extra = rng.choice(data["extras"][sector]) if rng.random() < 0.6 else None
    tpl = data["seller_templates"]
    values = {"year": year, "n": more}
    ko = (
        rng.choice(tpl["intro_ko"]).format(
            **values,
            city=city["ko"],
            noun=noun[0],
            verb=data["verbs"].get(sector, "생산"),
            products=_join([k["ko"] for k in bases], "ko"),
        )
        + " "
        + rng.choice(tpl["export_ko"]).format(
            **values,
            certs=", ".join(certs),
            markets=_join([countries[m]["ko"] for m in markets], "ko"),
        )
    )
    texts = {"description_ko": ko + (" " + extra[0] if extra else "")}
    if names["en"]:
        en = (
            rng.choice(tpl["intro_en"]).format(
                **values,
                city=city["en"],
                noun=noun[1],
                name=names["core_en"],
                products=_join([k["en_text"] for k in bases], "en"),
            )
            + " "
            + rng.choice(tpl["export_en"]).format(
                **values,
                certs=_join(certs, "en"),
                markets=_join([countries[m]["en"] for m in markets], "en"),
            )
        )
        texts["description_en"] = en + (" " + extra[1] if extra else "")
    if names["zh"]:
        zh = rng.choice(tpl["intro_zh"]).format(
            **values,
            city=city["zh"],
            noun=noun[2],
            name=names["core_zh"],
            products=_join([k["zh_hans"] for k in bases], "zh"),
        ) + rng.choice(tpl["export_zh"]).format(
            **values,
            certs="、".join(certs),
            markets="、".join(countries[m]["zh_hans"] for m in markets),
        )
        texts["description_zh_hans"] = zh + (extra[2] if extra else "")
    return texts


def seller_profile(rng: random.Random, index: int) -> dict[str, Any]:
    """A Korean SME exhibitor. The same RNG state and index always give the same profile."""
    data = _data()
    slot = index % len(data["_cycle"])
    sector = data["_cycle"][slot]
    ordinal = (index // len(data["_cycle"])) * data["seller_weights"][sector] + data["_ranks"][slot]
    prefix, stem, extra = _name_parts(data, sector, ordinal)
    core_ko = prefix[0] + stem[0] + extra[0]
    core_en = " ".join(part for part in (prefix[1], stem[1], extra[1]) if part)
    core_zh = prefix[2] + stem[2] + extra[2]
    external_id = f"S{index + 1:05d}"

    form = rng.random()
    if sector == "startups":
        name_ko = f"주식회사 {core_ko}" if form < 0.6 else f"(주){core_ko}"
    elif form < 0.45:
        name_ko = f"(주){core_ko}"
    elif form < 0.6:
        name_ko = f"{core_ko} 주식회사"
    elif form < 0.7:
        name_ko = f"주식회사 {core_ko}"
    else:
        name_ko = core_ko
    has_en = rng.random() < (0.6 if sector == "startups" else 0.33)
    has_zh = rng.random() < 0.1
    en_form = rng.choices(["Co., Ltd.", "Inc.", "Corp.", "Co."], weights=[65, 15, 12, 8])[0]
    zh_form = rng.choice(["{}株式会社", "韩国{}有限公司"])
    city = rng.choices(data["seller_cities"], weights=data["_seller_city_w"])[0]
    sectors = [sector]
    if rng.random() < 0.2:
        sectors.append(rng.choice(data["related"][sector]))
    names = {
        "prefix": prefix,
        "stem": stem,
        "en": has_en,
        "zh": has_zh,
        "city": city,
        "core_en": core_en,
        "core_zh": core_zh,
    }
    products, bases = _products(rng, data, sectors, names, external_id)
    texts = _seller_texts(rng, data, sector, names, bases)
    if rng.random() < 0.3:
        phone = "+8210" + _digits(rng, 8)
    else:
        exchange = 4 if city["area"] == "2" else rng.choice([3, 4])
        phone = f"+82{city['area']}" + _digits(rng, exchange + 4)
    return {
        "external_id": external_id,
        "role": "seller",
        "name_ko": name_ko,
        "name_zh_hans": zh_form.format(core_zh) if has_zh else "",
        "name_zh_hant": "",
        "name_en": f"{core_en} {en_form}" if has_en else "",
        "description_ko": texts["description_ko"],
        "description_zh_hans": texts.get("description_zh_hans", ""),
        "description_zh_hant": "",
        "description_en": texts.get("description_en", ""),
        "country": "KR",
        "city": city["en"],
        "timezone": "Asia/Seoul",
        "sectors": sectors,
        "hs_codes": list(dict.fromkeys(p["hs_code"][:4] for p in products)),
        "website": _website(rng, _slug(core_en), 0.85),
        "contact_name": rng.choice(data["people"]["ko_surnames"])
        + rng.choice(data["people"]["ko_given"]),
        "contact_email": f"{external_id.lower()}@seller.{_EMAIL_DOMAIN}",
        "contact_phone": phone,
        "company_size": _size(rng, _STARTUP_SIZES if sector == "startups" else _SELLER_SIZES),
        "products": products,
    }


# --------------------------------------------------------------------------- buyers


def _person(rng: random.Random, data: Data, style: str, traditional: bool) -> str:
    """A contact name that fits the company's country and language."""
    people = data["people"]
    if style == "zh":
        column = 1 if traditional else 0
        return rng.choice(people["zh_surnames"])[column] + rng.choice(people["zh_given"])[column]
    if style == "kazakh":
        given, gender = rng.choice(people["kazakh"][0])
        family = rng.choice(people["kazakh"][1])
        return f"{given} {family}{'a' if gender == 'f' else ''}"
    first, last = people[style]
    return f"{rng.choice(first)} {rng.choice(last)}"


def _wants(rng: random.Random, data: Data, sector: str) -> tuple[list[str], list[dict]]:
    """The buyer's sectors and the catalog product types it is looking for."""
    primary = data["products"][sector]
    wants = [primary[i] for i in rng.sample(range(len(primary)), rng.randint(2, 4))]
    sectors = [sector]
    if rng.random() < 0.3:
        other = rng.choice(data["related"][sector])
        sectors.append(other)
        wants.append(rng.choice(data["products"][other]))
    return sectors, wants


def _buyer_texts(
    rng: random.Random, data: Data, ctx: dict[str, Any], wants: list[dict], markets: list[str]
) -> dict[str, str]:
    """Chinese (Simplified or Traditional) and/or English descriptions naming the wanted goods."""
    vocab = data["buyer"][ctx["sector"]]
    tpl = data["buyer_templates"]
    countries = data["countries"]
    city, year = ctx["city"], rng.randint(1985, 2022)
    kind = rng.choice(vocab["kinds"])
    channels = rng.sample(vocab["channels"], 2)
    close = rng.random() < 0.7
    texts = {}
    if ctx["zh_key"]:
        key, column = ctx["zh_key"], 1 if ctx["zh_key"] == "zh_hant" else 0
        zh = rng.choice(tpl["intro"][key]).format(
            year=year,
            city=city[key],
            kind=kind[column],
            noun=vocab["noun"][column],
            products=_join([w[key] for w in wants], "zh"),
        ) + rng.choice(tpl["channel"][key]).format(
            channels=_join([c[column] for c in channels], "zh"),
            markets=_join([countries[m][key] for m in markets], "zh"),
        )
        texts[f"description_{key}"] = zh + (rng.choice(tpl["close"][key]) if close else "")
    if ctx["has_en"]:
        en = (
            rng.choice(tpl["intro_en"]).format(
                year=year,
                city=city["en"],
                kind=_article(kind[2]),
                noun=vocab["noun"][2],
                products=_join([w["en_text"] for w in wants], "en"),
            )
            + " "
            + rng.choice(tpl["channel_en"]).format(
                channels=_join([c[2] for c in channels], "en"),
                markets=_join([countries[m]["en"] for m in markets], "en"),
            )
        )
        texts["description_en"] = en + (" " + rng.choice(tpl["close_en"]) if close else "")
    return texts


def buyer_profile(rng: random.Random, index: int) -> dict[str, Any]:
    """An overseas importer, mostly Chinese-speaking. Deterministic in (RNG state, index)."""
    data = _data()
    country = rng.choices(data["buyer_countries"], weights=data["_countries_w"])[0]
    code = country["code"]
    city = rng.choices(country["cities"], weights=[c["weight"] for c in country["cities"]])[0]
    en_only = rng.random() < country["en_only"]
    traditional = not en_only and rng.random() < country["hant"]
    has_en = en_only or rng.random() < country["en"]
    zh_key = "" if en_only else ("zh_hant" if traditional else "zh_hans")
    sector = rng.choices(data["_buyer_sectors"], weights=data["_buyer_sector_w"])[0]
    sectors, wants = _wants(rng, data, sector)
    intent = list(dict.fromkeys(w["hs"][:4] for w in wants))
    text_only = rng.random() < TEXT_ONLY_SHARE
    markets = [
        code,
        *rng.sample(country["markets"], rng.randint(0, min(2, len(country["markets"])))),
    ]

    names = {"name_zh_hans": "", "name_zh_hant": ""}
    form = country["form"]
    if en_only:
        if rng.random() < 0.5:
            brand = rng.choice(data["en_brands"] + data["en_brands_by_country"].get(code, []))
        else:  # a family name, e.g. "Mitchell Foods Pty Ltd"
            brand = _person(rng, data, country["style"], False).split(" ", 1)[1]
        pool = data["buyer"][sector]["en_words"] if rng.random() < 0.5 else data["en_generic_words"]
        core_en = f"{brand} {rng.choice(pool)}"
        person = _person(rng, data, country["style"], False)
    else:
        column = 1 if traditional else 0
        brands = data["brands"]
        brand = brands[(index * data["_brand_step"] + 11) % len(brands)]
        kind = (
            data["buyer"][sector]["type"]
            if rng.random() < 0.35
            else rng.choice(data["buyer_types"])
        )
        names[f"name_{zh_key}"] = city[zh_key] + brand[column] + kind[column] + form[column]
        core_en = f"{brand[2]} {kind[2]}"
        person = _person(rng, data, "zh", traditional)
    ctx = {"sector": sector, "city": city, "zh_key": zh_key, "has_en": has_en}
    texts = _buyer_texts(rng, data, ctx, wants, markets)
    external_id = f"B{index + 1:05d}"
    prefix = rng.choice(city["area"]) if "area" in city else rng.choice(country["mobile"])
    return {
        "external_id": external_id,
        "role": "buyer",
        "name_ko": "",
        **names,
        "name_en": form[2].format(core_en) if has_en else "",
        "description_ko": "",
        "description_zh_hans": texts.get("description_zh_hans", ""),
        "description_zh_hant": texts.get("description_zh_hant", ""),
        "description_en": texts.get("description_en", ""),
        "country": code,
        "city": city["en"],
        "timezone": city["tz"],
        "sectors": sectors,
        "hs_codes": [] if text_only else list(intent),
        "intent_hs": intent,
        "markets": markets,
        "website": _website(rng, _slug(core_en), 0.7),
        "contact_name": person,
        "contact_email": f"{external_id.lower()}@buyer.{_EMAIL_DOMAIN}",
        "contact_phone": f"+{country['cc']}{prefix}" + _digits(rng, country["digits"]),
        "company_size": _size(rng, _BUYER_SIZES),
    }
