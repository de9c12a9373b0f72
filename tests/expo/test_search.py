import json

import pytest
from django.core.management import call_command

from bizweek.expo import search
from bizweek.expo.services import HallQuery, find_companies
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall(db):
    """Korean-only sellers, a Chinese buyer, a Traditional-Chinese buyer: indexed as in use."""
    excavators = factories.make_company(
        name_ko="창원중공업", description_ko="미니 굴착기 전문 제조", hs_codes=["8429"]
    )
    factories.make_product(excavators, name_ko="미니 굴착기 SX-35", hs_code_id="842952")
    cosmetics = factories.make_company(
        name_ko="한빛코스메틱",
        description_ko="기초 스킨케어 제품",
        hs_codes=["3304"],
        sectors=["cosmetics"],
    )
    factories.make_product(cosmetics, name_ko="수분 크림", hs_code_id="3304")
    tea = factories.make_company(
        name_ko="하동녹차", description_ko="유기농 녹차", hs_codes=["0902"]
    )
    buyer = factories.make_company(
        role="buyer",
        name_zh_hans="曼谷华丰国际贸易",
        description_zh_hans="进口韩国化妆品和食品",
        country="TH",
        timezone="Asia/Bangkok",
    )
    taiwan = factories.make_company(
        role="buyer",
        name_zh_hant="台北興業貿易",
        description_zh_hant="專營茶葉與保健食品",
        country="TW",
        timezone="Asia/Taipei",
    )
    search.index_companies()
    return {
        "excavators": excavators,
        "cosmetics": cosmetics,
        "tea": tea,
        "buyer": buyer,
        "taiwan": taiwan,
    }


def ids(query, role="all"):
    companies, _scores = find_companies(HallQuery(q=query, role=role))
    return [c.pk for c in companies]


def test_english_query_finds_korean_only_booth_through_hs_taxonomy(hall):
    assert ids("excavator", role="seller") == [hall["excavators"].pk]
    assert ids("Excavators", role="seller") == [hall["excavators"].pk]


def test_chinese_query_finds_korean_only_cosmetics_seller(hall):
    assert ids("化妆品", role="seller") == [hall["cosmetics"].pk]


def test_traditional_query_finds_simplified_text_and_back(hall):
    assert hall["buyer"].pk in ids("華豐")  # written in Simplified
    assert hall["taiwan"].pk in ids("茶叶")  # written in Traditional: 茶葉
    assert hall["cosmetics"].pk in ids("化妝品", role="seller")


def test_one_and_two_character_cjk_queries_match(hall):
    assert hall["taiwan"].pk in ids("茶")
    assert hall["tea"].pk in ids("녹차")
    assert hall["tea"].pk in ids("차")
    assert ids("茶", role="seller") == [hall["tea"].pk]  # tea, HS 0902, named in Chinese


def test_korean_query_matches_product_name_and_ranks_name_matches_first(hall):
    other = factories.make_company(name_ko="굴착기 부품 상사", hs_codes=["8431"])
    search.index_companies([other.pk])
    found = ids("굴착기", role="seller")
    assert found[0] == other.pk  # a name match outranks a product match
    assert set(found) == {other.pk, hall["excavators"].pk}


def test_query_with_several_words_needs_all_then_falls_back_to_any(hall):
    assert ids("미니 굴착기") == [hall["excavators"].pk]
    assert set(ids("excavator 녹차")) == {hall["excavators"].pk, hall["tea"].pk}


def test_phrase_must_be_contiguous(hall):
    assert ids("妆化") == []


def test_pending_and_hidden_companies_are_not_found_by_strangers(hall):
    pending = factories.make_company(name_ko="비공개굴착", status="pending")
    search.index_companies([pending.pk])
    assert pending.pk not in ids("비공개굴착")


def test_highlight_marks_simplified_and_traditional_forms_and_escapes():
    html = search.highlight("<b>化妝品</b> and cosmetics", "化妆品 cosmetic")
    assert html == "&lt;b&gt;<mark>化妝品</mark>&lt;/b&gt; and <mark>cosmetic</mark>s"


def test_tokens_give_bigrams_and_single_characters():
    assert search.tokens("化妆品 Mini") == ["化妆", "妆品", "mini", "化", "妆", "品"]


def test_editing_a_product_reindexes_its_company(client, hall, exhibitor):
    client.force_login(factories.make_member(hall["tea"]))
    client.post(
        f"/booths/{hall['tea'].pk}/edit/products/new/",
        {"name_ko": "말차 라떼 파우더", "currency": "USD", "is_published": "on"},
    )
    assert ids("말차") == [hall["tea"].pk]


def test_api_and_cli_use_the_same_engine(client, hall, capsys):
    api = client.get("/api/v1/companies", {"q": "化妆品", "role": "seller"}).json()
    assert [item["id"] for item in api["items"]] == [hall["cosmetics"].pk]
    call_command("search", "化妆品", "--role", "seller", "--json")
    rows = json.loads(capsys.readouterr().out)
    assert [row["external_id"] for row in rows] == [hall["cosmetics"].external_id]
    assert rows[0]["score"] > 0
    assert rows[0]["names"]["ko"] == "한빛코스메틱"


def test_hall_page_highlights_matches(client, hall):
    html = client.get("/hall/", {"q": "굴착기"}).content.decode()
    assert "<mark>굴착기</mark>" in html


def test_deleted_company_leaves_the_index(hall):
    tea_pk = hall["tea"].pk
    hall["tea"].delete()
    assert tea_pk not in [pk for pk, _score in search.ranked_ids("녹차")]


def test_search_results_page_through_in_rank_order(hall):
    companies, scores = find_companies(HallQuery(q="굴착기 化妆品", role="all"))
    everything = list(companies)
    assert companies.count() == len(everything) == 3  # two sellers and the buyer who wants 化妆品
    assert [c.pk for c in companies[1:3]] == [c.pk for c in everything[1:3]]
    ranked = [scores[c.pk] for c in everything]
    assert ranked == sorted(ranked, reverse=True)
