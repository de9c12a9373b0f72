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


def test_korean_compound_written_without_space_still_finds_the_spaced_text(booths):
    assert top("냉동고등어")[0] == booths["mackerel"].pk  # the booth writes "냉동 고등어"


@pytest.fixture
def uncoded(db):
    """Korean-only sellers who declare no HS code: only their Korean words can be bridged."""
    made = {
        "fridges": factories.make_company(
            name_ko="한빙냉열", description_ko="업소용 냉장고와 냉동 쇼케이스를 만듭니다."
        ),
        "tyres": factories.make_company(
            name_ko="새길산업", description_ko="승용차용 사계절 타이어 생산"
        ),
        "knitwear": factories.make_company(
            name_ko="봄실", description_ko="여성 니트 스웨터와 가디건 등 의류 OEM"
        ),
        "fabrics": factories.make_company(
            name_ko="대성텍스", description_ko="아웃도어용 기능성 폴리에스터 원단"
        ),
        "drills": factories.make_company(
            name_ko="한별정밀", description_ko="초경 드릴과 엔드밀 전문"
        ),
        "software": factories.make_company(
            name_ko="클라우드웍스", description_ko="IoT 기기 원격 관리 소프트웨어"
        ),
        "washes": factories.make_company(
            name_ko="맑은생활", description_ko="바디워시, 핸드워시, 고체비누를 생산합니다."
        ),
    }
    search.index_companies()
    return made


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ("雪櫃", "fridges"),  # Hong Kong word, Korean loan-free 냉장고 on the booth
        ("私家車呔", "tyres"),  # Hong Kong 呔 (tyre), written inside a compound
        ("鑽咀", "drills"),  # Hong Kong word for a drill bit
        ("針織衫", "knitwear"),  # a compound nobody listed, read by its head 衫 (garment)
        ("軟件", "software"),  # CC-CEDICT's "(computer) software": the field label is dropped
        ("shower gel", "washes"),  # English reaches the Hangul loanword 바디워시
        ("commercial fridge", "fridges"),
    ],
)
def test_words_reach_korean_booths_without_any_hs_code(uncoded, query, wanted):
    assert top(query)[0] == uncoded[wanted].pk


def test_regional_words_do_not_drag_in_neighbours(uncoded):
    assert uncoded["tyres"].pk not in top("雪櫃")
    assert top("針織衫")[0] != uncoded["fabrics"].pk
