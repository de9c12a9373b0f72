"""Place, zone and language names in the reader's language (CLDR via Babel)."""

from django.template import Context, Template
from django.utils import translation

from bizweek.timezones import city, company_city, dual_clock_label


def test_city_names_follow_the_readers_language():
    assert city("Asia/Seoul", "ko") == "서울"
    assert city("Asia/Bangkok", "zh-hans") == "曼谷"
    assert city("America/Los_Angeles", "zh-hant") == "洛杉磯"
    assert city("America/Los_Angeles", "en") == "Los Angeles"


def test_company_city_is_translated_only_when_it_is_its_zones_city():
    assert company_city("Bangkok", "Asia/Bangkok", "ko") == "방콕"
    assert company_city("Changwon", "Asia/Seoul", "zh-hans") == "Changwon"  # free text stays
    assert company_city("DAEGU", "Asia/Seoul", "ko") == "Daegu"  # but is not shouted


def test_both_clocks_label_in_korean():
    from datetime import UTC, datetime

    with translation.override("ko"):
        label = dual_clock_label(
            datetime(2026, 12, 8, 2, 0, tzinfo=UTC), "Asia/Seoul", "Asia/Bangkok"
        )
    assert label == "11:00 서울 · 09:00 방콕"


def test_language_pair_and_role_filters_use_the_readers_words():
    template = Template("{% load bizweek %}{{ pair|language_pair }}|{{ role|role_name }}")
    with translation.override("ko"):
        assert (
            template.render(Context({"pair": "ko-zh", "role": "visitor"})) == "한국어–중국어|방문객"
        )
