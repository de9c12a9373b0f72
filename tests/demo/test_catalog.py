"""The demo content generator and the HS/sector data files. Pure Python: no database needed."""

# ruff: noqa: S311  (seeded, non-cryptographic RNGs are the point of these tests)

from __future__ import annotations

import json
import random
import re
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
try:
    from bizweek.demo import catalog
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(SRC))
    from bizweek.demo import catalog

DATA_DIR = SRC / "bizweek" / "companies" / "data"
SCALE = 10
SECTORS = [
    "consumer-goods",
    "ict",
    "hydrogen-energy",
    "machinery",
    "mobility",
    "bio-health",
    "food",
    "cosmetics",
    "startups",
    "services",
]
CALLING_CODES = {
    "KR": "82", "TH": "66", "MY": "60", "CN": "86", "US": "1", "SG": "65", "VN": "84",
    "ID": "62", "PH": "63", "TW": "886", "HK": "852", "JP": "81", "AU": "61", "CA": "1",
    "DE": "49", "GB": "44", "AE": "971", "MN": "976", "KZ": "7", "KH": "855", "NZ": "64",
}  # fmt: skip
TEXT_FIELDS = [
    "name_ko",
    "name_zh_hans",
    "name_zh_hant",
    "name_en",
    "description_ko",
    "description_zh_hans",
    "description_zh_hant",
    "description_en",
]
PRICE = re.compile(r"^\d+\.\d{2}$")
PHONE = re.compile(r"^\+\d{8,15}$")


@pytest.fixture(scope="module")
def hs() -> dict[str, dict]:
    rows = json.loads((DATA_DIR / "hs.json").read_text("utf-8"))
    return {row["code"]: row for row in rows}


@pytest.fixture(scope="module")
def generated() -> dict:
    """Scale 10 with seed 1, drawn in the order the demo builder uses; timed."""
    rng = random.Random(1)
    started = time.perf_counter()
    sellers = [catalog.seller_profile(rng, i) for i in range(catalog.SELLER_COUNT * SCALE)]
    buyers = [catalog.buyer_profile(rng, i) for i in range(catalog.BUYER_COUNT * SCALE)]
    return {"sellers": sellers, "buyers": buyers, "seconds": time.perf_counter() - started}


@pytest.fixture(scope="module")
def sellers(generated: dict) -> list[dict]:
    return generated["sellers"]


@pytest.fixture(scope="module")
def buyers(generated: dict) -> list[dict]:
    return generated["buyers"]


# --------------------------------------------------------------------------- data files


def test_hs_file_has_every_chapter_and_consistent_codes(hs):
    codes = list(hs)
    assert codes == sorted(codes)
    assert all(code.isdigit() and len(code) in (2, 4, 6) for code in codes)
    assert [c for c in codes if len(c) == 2] == [f"{n:02d}" for n in range(1, 98)]
    assert "reserved" in hs["77"]["en"].lower()
    for code, row in hs.items():
        assert row["ko"] and row["zh_hans"] and row["en"], code
        assert max(len(row["ko"]), len(row["zh_hans"]), len(row["en"])) <= 90, code
        if len(code) == 4:
            assert code[:2] in hs, code
        if len(code) == 6:
            assert code[:4] in hs, code
    headings = [c for c in codes if len(c) == 4]
    assert 150 <= len(headings) <= 250


def test_hs_file_has_the_headings_the_platform_relies_on(hs):
    required = [
        "8429", "3304", "3305", "2804", "8501", "8502", "8504", "8507", "8517", "8471", "8542",
        "8528", "8703", "8708", "8711", "3004", "9018", "9019", "9021", "0902", "1211", "1902",
        "2005", "2106", "2103", "3924", "6403", "9503", "8516", "8413", "8481", "8479", "8424",
        "8537", "7311", "9027", "8541", "3401", "3307", "6204", "4202", "8415", "8418", "8450",
        "8509", "842952",
    ]  # fmt: skip
    assert [code for code in required if code not in hs] == []
    assert "excavators" in hs["8429"]["en"]
    assert "化妆品" in hs["3304"]["zh_hans"]
    assert "挖掘机" in hs["8429"]["zh_hans"]


def test_sectors_file(hs):
    rows = json.loads((DATA_DIR / "sectors.json").read_text("utf-8"))
    assert [row["code"] for row in rows] == SECTORS
    for row in rows:
        assert row["ko"] and row["zh_hans"] and row["zh_hant"] and row["en"]
        assert all(chapter in hs for chapter in row["hs_chapters"])
    assert next(r for r in rows if r["code"] == "ict")["en"] == "ICT"


def test_product_catalog_covers_every_sector_with_real_codes(hs):
    products = catalog._data()["products"]
    assert sorted(products) == sorted(SECTORS)
    for sector, kinds in products.items():
        assert len(kinds) >= 8, sector
        for kind in kinds:
            assert kind["hs"] in hs and len(kind["hs"]) == 6, kind
            assert kind["ko"] and kind["zh_hans"] and kind["zh_hant"] and kind["en"]


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_same_profiles():
    def run(seed: int) -> list[dict]:
        rng = random.Random(seed)
        return [catalog.seller_profile(rng, i) for i in range(40)] + [
            catalog.buyer_profile(rng, i) for i in range(40)
        ]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_same_rng_state_and_index_give_same_profile():
    rng = random.Random(3)
    rng.random()
    state = rng.getstate()
    first = (catalog.seller_profile(rng, 31_999), catalog.buyer_profile(rng, 44_444))
    rng.setstate(state)
    assert (catalog.seller_profile(rng, 31_999), catalog.buyer_profile(rng, 44_444)) == first
    assert first[0]["external_id"] == "S32000"
    assert first[1]["external_id"] == "B44445"


def test_generation_is_fast(generated):
    assert generated["seconds"] < 10  # about one second on a laptop


# --------------------------------------------------------------------------- sellers


def test_seller_shape_and_languages(sellers):
    for seller in sellers:
        assert seller["role"] == "seller"
        assert (seller["country"], seller["timezone"]) == ("KR", "Asia/Seoul")
        assert all(isinstance(seller[name], str) for name in TEXT_FIELDS)
        assert seller["name_ko"] and seller["description_ko"]
        assert not seller["name_zh_hant"] and not seller["description_zh_hant"]
        assert bool(seller["name_en"]) == bool(seller["description_en"])
        assert bool(seller["name_zh_hans"]) == bool(seller["description_zh_hans"])
        assert not re.search(r"\d", seller["name_ko"])  # never a bare number to disambiguate
        assert 1 <= len(seller["sectors"]) <= 2
        assert set(seller["sectors"]) <= set(SECTORS)
        assert seller["company_size"] in {"1-9", "10-49", "50-249", "250+"}
        assert seller["contact_name"] and PHONE.match(seller["contact_phone"])
        assert seller["contact_phone"].startswith("+82")
        assert seller["website"] == "" or seller["website"].startswith("https://")
    share_en = sum(bool(s["name_en"]) for s in sellers) / len(sellers)
    share_zh = sum(bool(s["name_zh_hans"]) for s in sellers) / len(sellers)
    share_changwon = sum(s["city"] == "Changwon" for s in sellers) / len(sellers)
    assert 0.25 < share_en < 0.45
    assert 0.05 < share_zh < 0.16
    assert 0.28 < share_changwon < 0.42
    assert {s["sectors"][0] for s in sellers} == set(SECTORS)


def test_seller_names_are_unique(sellers):
    assert len(sellers) == 4730
    names = [s["name_ko"] for s in sellers]
    assert len(set(names)) == len(names)
    english = [s["name_en"] for s in sellers if s["name_en"]]
    assert len(set(english)) == len(english)


def test_seller_products(sellers, hs):
    for seller in sellers:
        products = seller["products"]
        assert 4 <= len(products) <= 9
        assert [p["external_id"] for p in products] == [
            f"{seller['external_id']}-P{n}" for n in range(1, len(products) + 1)
        ]
        assert len({p["name_ko"] for p in products}) == len(products)
        for product in products:
            code = product["hs_code"]
            assert code in hs and code[:2] in hs and len(code) in (4, 6)
            assert product["name_ko"] and product["description_ko"]
            assert bool(product["name_en"]) == bool(product["description_en"])
            assert bool(product["name_zh_hans"]) == bool(product["description_zh_hans"])
            assert isinstance(product["moq"], int) and product["moq"] > 0
            assert PRICE.match(product["price_min"]) and PRICE.match(product["price_max"])
            assert 0 < Decimal(product["price_min"]) <= Decimal(product["price_max"])
            assert product["currency"] in {"USD", "KRW", "CNY"}
        assert seller["hs_codes"] == list(dict.fromkeys(p["hs_code"][:4] for p in products))
        assert all(code in hs for code in seller["hs_codes"])
    rows = [p for s in sellers for p in s["products"]]
    assert 0.4 < sum(bool(p["name_en"]) for p in rows) / len(rows) < 0.6
    assert 0.15 < sum(bool(p["name_zh_hans"]) for p in rows) / len(rows) < 0.35
    assert Counter(p["currency"] for p in rows).most_common(1)[0][0] == "USD"


# --------------------------------------------------------------------------- buyers


def test_buyer_places_are_real(buyers):
    pycountry = pytest.importorskip("pycountry")
    for buyer in buyers:
        assert pycountry.countries.get(alpha_2=buyer["country"]) is not None
        assert all(pycountry.countries.get(alpha_2=m) is not None for m in buyer["markets"])
        assert buyer["markets"][0] == buyer["country"]
        ZoneInfo(buyer["timezone"])
        assert PHONE.match(buyer["contact_phone"])
        assert buyer["contact_phone"].startswith("+" + CALLING_CODES[buyer["country"]])
    first_scale = buyers[: catalog.BUYER_COUNT]
    assert len({b["country"] for b in first_scale}) >= 15
    top = [country for country, _ in Counter(b["country"] for b in first_scale).most_common(4)]
    assert set(top) == {"TH", "MY", "CN", "US"}
    zones = {(b["city"], b["timezone"]) for b in buyers}
    assert ("Urumqi", "Asia/Urumqi") in zones
    assert ("New York", "America/New_York") in zones
    assert ("Chicago", "America/Chicago") in zones


def test_buyer_languages(buyers):
    for buyer in buyers:
        assert buyer["role"] == "buyer" and not buyer["name_ko"] and not buyer["description_ko"]
        assert buyer["name_zh_hans"] or buyer["name_zh_hant"] or buyer["name_en"]
        assert not (buyer["name_zh_hans"] and buyer["name_zh_hant"])
        for lang in ("zh_hans", "zh_hant", "en"):
            assert bool(buyer[f"name_{lang}"]) == bool(buyer[f"description_{lang}"])
        if buyer["country"] in {"TW", "HK"}:
            assert buyer["name_zh_hant"] and not buyer["name_zh_hans"]
    english_only = sum(not (b["name_zh_hans"] or b["name_zh_hant"]) for b in buyers) / len(buyers)
    both = sum(bool(b["name_en"] and (b["name_zh_hans"] or b["name_zh_hant"])) for b in buyers)
    assert 0.05 < english_only < 0.18
    assert 0.22 < both / len(buyers) < 0.4
    assert sum(bool(b["name_zh_hans"]) for b in buyers) > len(buyers) / 2


def test_buyer_intent_and_text_only_buyers(buyers, hs):
    text_only = [b for b in buyers if not b["hs_codes"]]
    assert 0.1 < len(text_only) / len(buyers) < 0.2
    for buyer in buyers:
        assert buyer["intent_hs"]
        assert all(len(code) == 4 and code in hs for code in buyer["intent_hs"])
        assert buyer["hs_codes"] in ([], buyer["intent_hs"])
        assert 1 <= len(buyer["sectors"]) <= 2 and set(buyer["sectors"]) <= set(SECTORS)


def test_buyer_descriptions_name_every_wanted_heading(buyers):
    names: dict[str, set[str]] = {}
    for kinds in catalog._data()["products"].values():
        for kind in kinds:
            names.setdefault(kind["hs"][:4], set()).update(
                (kind["zh_hans"], kind["zh_hant"], kind["en_text"])
            )
    for buyer in buyers:
        text = " ".join(buyer[f"description_{lang}"] for lang in ("zh_hans", "zh_hant", "en"))
        for code in buyer["intent_hs"]:
            assert any(name in text for name in names[code]), (buyer["external_id"], code)


# --------------------------------------------------------------------------- everyone


def test_ids_and_emails_are_unique(sellers, buyers):
    everyone = sellers + buyers
    assert len(buyers) == 6310
    ids = [p["external_id"] for p in everyone]
    emails = [p["contact_email"] for p in everyone]
    assert len(set(ids)) == len(ids)
    assert len(set(emails)) == len(emails)
    assert sellers[0]["contact_email"] == "s00001@seller.demo.bizweek.test"
    assert buyers[0]["external_id"] == "B00001"


def test_texts_are_fully_rendered(sellers, buyers):
    leftovers = re.compile(r"[{}]|None|  ")
    for profile in sellers + buyers:
        texts = [profile[name] for name in TEXT_FIELDS]
        for product in profile.get("products", []):
            texts += [value for value in product.values() if isinstance(value, str)]
        assert not any(leftovers.search(text) for text in texts), profile["external_id"]
