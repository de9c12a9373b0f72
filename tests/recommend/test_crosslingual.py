"""Buyers who write only text (English, Taiwan and Hong Kong Chinese) or only a company name
reach Korean sellers who describe themselves in Korean: a small market of neighbours."""

import types

import pytest

from bizweek import crosslingual
from bizweek.recommend import services as rec
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_index():
    rec.clear_cache()
    yield
    rec.clear_cache()


def seller(name_ko: str, description_ko: str, hs_codes: list[str], sector: str) -> object:
    return factories.make_company(
        name_ko=name_ko, description_ko=description_ko, hs_codes=hs_codes, sectors=[sector]
    )


def buyer(country: str, timezone: str, **fields: str) -> object:
    return factories.make_company(role="buyer", country=country, timezone=timezone, **fields)


@pytest.fixture
def market(db):
    """Ten Korean-only sellers in pairs of neighbouring product areas."""
    return types.SimpleNamespace(
        excavators=seller(
            "영진건기", "3톤급 소형 굴착기와 브레이커를 생산합니다.", ["842952"], "machinery"
        ),
        loaders=seller("한성로더", "휠로더와 스키드로더 전문 제조사", ["842951"], "machinery"),
        cranes=seller("대경타워", "건설 현장용 타워크레인 제작 및 설치", ["842620"], "machinery"),
        forklifts=seller("동명지게차", "전동 지게차와 리치 트럭", ["842710"], "machinery"),
        shampoo=seller("미르헤어", "탈모 샴푸와 헤어 트리트먼트", ["330510"], "cosmetics"),
        skincare=seller("소이뷰티", "수분 크림과 시트 마스크팩", ["330499"], "cosmetics"),
        generics=seller(
            "한결제약", "고혈압·당뇨 제네릭 의약품 완제 생산 (GMP)", ["300490"], "bio-health"
        ),
        supplements=seller("오름바이오", "홍삼 건강기능식품", ["210690"], "food"),
        squid=seller("동해수산", "냉동 오징어와 갑오징어 가공 수출", ["030743"], "food"),
        mackerel=seller("남해어업", "냉동 고등어, 삼치 원물 수출", ["030354"], "food"),
    )


def top(company, n: int = 3) -> list:
    return [item.company for item in rec.recommend(company, n)]


def test_english_text_only_buyer_finds_the_mini_excavator_maker_first(market):
    who = buyer(
        "AU",
        "Australia/Sydney",
        name_en="Southern Cross Plant Hire",
        description_en="We rent out compact plant to builders and need mini diggers for our fleet.",
    )
    found = top(who)
    assert found[0] == market.excavators
    assert market.shampoo not in found and market.squid not in found


def test_taiwan_chinese_text_only_buyer_finds_generic_drugs_not_supplements(market):
    who = buyer(
        "TW",
        "Asia/Taipei",
        name_zh_hant="瑞康醫藥股份有限公司",
        description_zh_hant="本公司代理慢性病學名藥，希望引進韓國製造的降血壓學名藥。",
    )
    found = top(who)
    assert found[0] == market.generics
    assert found.index(market.generics) < (
        found.index(market.supplements) if market.supplements in found else 3
    )


def test_hong_kong_buyer_with_hk_wording_finds_forklifts(market):
    who = buyer(
        "HK",
        "Asia/Hong_Kong",
        name_zh_hant="恒通倉儲設備",
        description_zh_hant="我哋係香港倉庫設備供應商，想搵韓國堆高機同埋電動叉車。",
    )
    assert top(who)[0] == market.forklifts


def test_name_only_buyer_is_matched_by_the_product_word_in_its_name(market):
    who = buyer("US", "America/Los_Angeles", name_en="Pacific Squid Traders Inc.")
    found = top(who)
    assert found[0] == market.squid
    assert market.mackerel in found  # the neighbouring seafood seller before unrelated ones


def test_chinese_name_only_buyer_with_shampoo_in_its_name(market):
    who = buyer("TW", "Asia/Taipei", name_zh_hant="美髮精品洗髮精批發行")
    assert top(who)[0] == market.shampoo


def test_hong_kong_and_taiwan_words_read_as_mainland_words():
    assert crosslingual.mainland("雪櫃") == "冰箱"
    assert crosslingual.mainland("電子鍋") == "电饭锅"
    english = crosslingual.gloss("貨車呔").split()
    assert "tyres" in english and "truck" in english


def test_dictionary_senses_with_a_field_label_are_kept():
    assert "software" in crosslingual.gloss("軟件").split()


def test_unlisted_compound_is_read_by_its_last_character():
    assert "locks" in crosslingual.gloss("指紋鎖").split()
    assert "garments" in crosslingual.gloss("針織衫").split()


def test_korean_product_words_are_found_inside_compounds_and_places_are_not_goods():
    english = crosslingual.gloss("냉동오징어를 수출합니다").split()
    assert "frozen" in english and "squid" in english
    assert crosslingual.gloss("대구 소재 기업") == ""


@pytest.fixture
def uncoded_market(db):
    """Korean-only sellers without HS codes, in neighbouring areas, and one coded neighbour."""
    return types.SimpleNamespace(
        fridges=factories.make_company(
            name_ko="한빙냉열", description_ko="업소용 냉장고와 냉동 쇼케이스를 만듭니다."
        ),
        washers=factories.make_company(name_ko="물결가전", description_ko="드럼 세탁기 생산"),
        knitwear=factories.make_company(
            name_ko="봄실", description_ko="여성 니트 스웨터와 가디건 등 의류 OEM"
        ),
        fabrics=factories.make_company(
            name_ko="대성텍스", description_ko="아웃도어용 기능성 폴리에스터 원단"
        ),
        tyres=factories.make_company(
            name_ko="새길산업", description_ko="승용차용 사계절 타이어 생산"
        ),
        gloves=factories.make_company(
            name_ko="한울고무", description_ko="산업용 고무장갑", hs_codes=["401519"]
        ),
    )


def test_english_buyer_reaches_an_uncoded_korean_fridge_maker(uncoded_market):
    who = buyer(
        "SG",
        "Asia/Singapore",
        name_en="Lion City Catering Supply",
        description_en="We supply restaurants with commercial fridges and display freezers.",
    )
    found = top(who)
    assert found[0] == uncoded_market.fridges
    assert uncoded_market.tyres not in found


def test_hong_kong_buyer_with_cantonese_words_reaches_the_fridge_maker(uncoded_market):
    who = buyer(
        "HK",
        "Asia/Hong_Kong",
        name_zh_hant="灣仔廚房設備",
        description_zh_hant="我哋供應酒樓廚房設備，想搵韓國雪櫃。",
    )
    assert top(who)[0] == uncoded_market.fridges


def test_name_only_buyer_with_a_taiwan_garment_word_finds_knitwear_before_fabric(
    uncoded_market,
):
    who = buyer("TW", "Asia/Taipei", name_zh_hant="台中針織衫貿易有限公司")
    found = top(who)
    assert found[0] == uncoded_market.knitwear


def test_name_only_tyre_buyer_is_not_sent_to_a_chapter_mate(uncoded_market):
    who = buyer("AE", "Asia/Dubai", name_en="Gulf Tyre Trading LLC")
    found = top(who, 2)
    assert found[0] == uncoded_market.tyres
