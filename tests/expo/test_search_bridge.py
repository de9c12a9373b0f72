"""Everyday words in English and Chinese (Taiwan, Hong Kong, mainland) find Korean-only booths."""

import pytest

from bizweek.expo import search
from bizweek.expo.services import HallQuery, find_companies
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def booths(db):
    """Korean-only sellers with HS codes, one English-writing seller without any, a buyer."""
    made = {
        "cranes": factories.make_company(
            name_ko="대경타워", description_ko="타워크레인 제작과 설치", hs_codes=["842620"]
        ),
        "forklifts": factories.make_company(
            name_ko="동명산기", description_ko="전동 지게차 생산", hs_codes=["842710"]
        ),
        "excavators": factories.make_company(
            name_ko="영진건기", description_ko="3톤급 소형 굴착기", hs_codes=["842952"]
        ),
        "diggers": factories.make_company(
            name_ko="그린장비", description_en="Mini diggers and compact track loaders."
        ),
        "shampoo": factories.make_company(
            name_ko="미르헤어", description_ko="탈모 샴푸", hs_codes=["330510"]
        ),
        "skincare": factories.make_company(
            name_ko="소이뷰티", description_ko="수분 크림", hs_codes=["330499"]
        ),
        "generics": factories.make_company(
            name_ko="한결제약", description_ko="제네릭 의약품", hs_codes=["300490"]
        ),
        "hydrogen": factories.make_company(
            name_ko="수소에너텍", description_ko="수전해 수소 생산 설비", hs_codes=["854330"]
        ),
        "squid": factories.make_company(
            name_ko="동해수산", description_ko="냉동 오징어", hs_codes=["030743"]
        ),
        "mackerel": factories.make_company(
            name_ko="남해어업", description_ko="냉동 고등어", hs_codes=["030354"]
        ),
    }
    search.index_companies()
    return made


def top(query: str, n: int = 5) -> list[int]:
    companies, _scores = find_companies(HallQuery(q=query, role="seller"))
    return [c.pk for c in companies][:n]


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ("塔吊", "cranes"),  # mainland
        ("堆高機", "forklifts"),  # Taiwan
        ("洗髮精", "shampoo"),  # Taiwan
        ("學名藥", "generics"),  # Taiwan
        ("电解水制氢", "hydrogen"),
        ("frozen squid", "squid"),
        ("tower crane", "cranes"),
        ("forklift", "forklifts"),
    ],
)
def test_everyday_query_finds_the_korean_only_booth_first(booths, query, wanted):
    assert top(query)[0] == booths[wanted].pk


def test_mini_excavator_finds_the_declared_code_and_the_english_mini_diggers(booths):
    found = top("mini excavator")
    assert set(found[:2]) == {booths["excavators"].pk, booths["diggers"].pk}


def test_query_with_an_unknown_word_still_ranks_the_best_partial_matches(booths):
    found = top("mini excavator buckets")  # nobody writes "buckets"
    assert booths["excavators"].pk in found[:2]
    assert booths["shampoo"].pk not in found


def test_bridge_keeps_neighbours_apart(booths):
    assert booths["skincare"].pk not in top("洗髮精", 1)
    assert top("frozen squid")[0] != booths["mackerel"].pk
