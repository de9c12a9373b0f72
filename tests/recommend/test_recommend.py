"""Reciprocal recommendations: ranking across languages, reasons, marks, requests, API and CLI."""

import json
import sys
import types
from io import StringIO

import numpy as np
import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import Http404
from ninja import NinjaAPI
from ninja.testing import TestClient

from bizweek.api.api import on_not_found, on_permission_denied
from bizweek.api.recommendations import router
from bizweek.matching.models import Mark, MeetingRequest
from bizweek.recommend import services as rec
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_index():
    rec.clear_cache()
    yield
    rec.clear_cache()


@pytest.fixture
def hall(db):
    """Korean-only sellers, and buyers who say what they want in three different ways."""
    excavators = factories.make_company(
        name_ko="대한중장비",
        description_ko="창원에서 굴착기와 유압 브레이커를 생산하는 건설기계 기업입니다.",
        hs_codes=["8429", "842952"],
        sectors=["machinery"],
    )
    factories.make_product(
        excavators,
        name_ko="미니 굴착기 DH-35",
        description_ko="좁은 도심 현장에 적합한 3톤급 소형 굴착기",
        hs_code_id="842952",
    )
    cosmetics = factories.make_company(
        name_ko="서울뷰티랩",
        description_ko="기초화장품과 마스크팩을 만드는 화장품 제조사입니다.",
        hs_codes=["3304"],
        sectors=["cosmetics"],
    )
    factories.make_product(cosmetics, name_ko="수분 크림", hs_code_id="330499")
    ginseng = factories.make_company(
        name_ko="고려홍삼농원",
        description_ko="6년근 홍삼과 인삼 가공품을 생산합니다.",
        hs_codes=["1211"],
        sectors=["food"],
    )
    factories.make_product(ginseng, name_ko="6년근 홍삼 뿌리", hs_code_id="121120")
    pumps = factories.make_company(
        name_ko="동양펌프",
        description_ko="산업용 원심 펌프를 생산합니다.",
        hs_codes=["8413"],
        sectors=["machinery"],
    )
    chinese = factories.make_company(  # text only: no HS code, no sector
        role="buyer",
        name_zh_hans="曼谷华丰贸易",
        description_zh_hans="我们主要从韩国进口挖掘机和液压配件",
        country="TH",
        timezone="Asia/Bangkok",
    )
    traditional = factories.make_company(
        role="buyer",
        name_zh_hant="台北美妝貿易",
        description_zh_hant="進口韓國化妝品",
        country="TW",
        timezone="Asia/Taipei",
    )
    english = factories.make_company(
        role="buyer",
        name_en="Ginseng House LLC",
        description_en="We import Korean red ginseng for health food stores.",
        hs_codes=["1211"],
        sectors=["food"],
        country="US",
        timezone="America/New_York",
    )
    return types.SimpleNamespace(
        excavators=excavators,
        cosmetics=cosmetics,
        ginseng=ginseng,
        pumps=pumps,
        chinese=chinese,
        traditional=traditional,
        english=english,
    )


def ids(recommendations):
    return [item.company.pk for item in recommendations]


def codes(item):
    return [reason["code"] for reason in item.reasons]


def test_text_only_chinese_buyer_finds_the_korean_excavator_maker(hall):
    found = rec.recommend(hall.chinese, 3)
    assert found[0].company == hall.excavators
    first = found[0]
    assert 0 < first.score <= 1
    assert first.reasons[0]["code"] == "hs_inferred"
    assert "8429" in first.reasons[0]["text"]
    assert "inferred from your description" in first.reasons[0]["text"]
    assert {item.company.role for item in found} == {"seller"}
    assert [item.score for item in found] == sorted((item.score for item in found), reverse=True)


def test_traditional_chinese_buyer_finds_the_cosmetics_maker(hall):
    found = rec.recommend(hall.traditional, 3)
    assert found[0].company == hall.cosmetics
    assert "hs_inferred" in codes(found[0])


def test_declared_codes_rank_first_and_reasons_follow_the_language(hall):
    found = rec.recommend(hall.english, 4)
    assert found[0].company == hall.ginseng
    assert found[0].reasons[0]["code"] == "hs_heading"
    english = next(r["text"] for r in found[0].reasons if r["code"].startswith("hs_"))
    assert english.startswith("Both in HS 1211: Plants and parts of plants")
    korean = rec.recommend(hall.english, 1, language="ko")[0]
    text = next(r["text"] for r in korean.reasons if r["code"].startswith("hs_"))
    assert "인삼" in text  # the HS name in Korean
    chinese = rec.recommend(hall.english, 1, language="zh-hant")[0]
    text = next(r["text"] for r in chinese.reasons if r["code"].startswith("hs_"))
    assert "藥料" in text  # the HS name in Traditional Chinese


def test_sellers_see_the_buyers_that_want_them(hall):
    assert rec.recommend(hall.excavators, 1)[0].company == hall.chinese
    reason = rec.recommend(hall.excavators, 1)[0].reasons[0]
    assert reason["code"] == "hs_inferred" and "inferred from their description" in reason["text"]
    assert rec.recommend(hall.cosmetics, 1)[0].company == hall.traditional
    assert rec.recommend(hall.ginseng, 1)[0].company == hall.english


def test_only_approved_companies_of_the_other_role(hall):
    pending = factories.make_company(
        name_ko="대기굴착기", hs_codes=["8429"], status="pending", description_ko="굴착기"
    )
    found = ids(rec.recommend(hall.chinese, 10))
    assert pending.pk not in found
    assert hall.chinese.pk not in found and hall.english.pk not in found
    assert rec.recommend(pending, 5) == []


@pytest.mark.parametrize("by_buyer", [True, False])
def test_no_thanks_by_either_side_excludes_the_pair(hall, by_buyer):
    giver, target = (hall.chinese, hall.excavators) if by_buyer else (hall.excavators, hall.chinese)
    Mark.objects.create(company=giver, target=target, value="no")
    assert hall.excavators.pk not in ids(rec.recommend(hall.chinese, 10))
    assert hall.chinese.pk not in ids(rec.recommend(hall.excavators, 10))
    everyone = rec.recommend_all(10)
    assert hall.excavators.pk not in [pk for pk, _score in everyone[hall.chinese.pk]]
    assert hall.chinese.pk not in [pk for pk, _score in everyone[hall.excavators.pk]]


@pytest.mark.parametrize(
    ("state", "excluded"), [("pending", True), ("declined", True), ("cancelled", False)]
)
def test_requested_pairs_are_excluded(hall, state, excluded):
    event = factories.make_event()
    MeetingRequest.objects.create(
        event=event, from_company=hall.excavators, to_company=hall.chinese, state=state
    )
    assert (hall.excavators.pk not in ids(rec.recommend(hall.chinese, 10))) == excluded
    everyone = rec.recommend_all(10)
    assert (hall.chinese.pk not in [pk for pk, _s in everyone[hall.excavators.pk]]) == excluded


def test_must_meet_lifts_a_pair(hall):
    before = rec.recommend(hall.english, 10)
    # Excavators and pumps have nothing in common with a ginseng importer: the bottom two.
    assert set(ids(before)[-2:]) == {hall.excavators.pk, hall.pumps.pk}
    rank_before = ids(before).index(hall.excavators.pk)
    Mark.objects.create(company=hall.excavators, target=hall.english, value="must")
    after = rec.recommend(hall.english, 10)
    assert after[ids(after).index(hall.excavators.pk)].score > before[rank_before].score
    assert ids(after).index(hall.excavators.pk) < len(before) - 2
    mark = after[ids(after).index(hall.excavators.pk)].reasons[0]
    assert mark == {"code": "mark", "text": "They marked you “Must meet”"}
    Mark.objects.create(company=hall.english, target=hall.excavators, value="must")
    top = rec.recommend(hall.english, 10)
    assert ids(top)[:2] == [hall.ginseng.pk, hall.excavators.pk]
    assert [r["text"] for r in top[1].reasons[:2]] == [
        "You marked them “Must meet”",
        "They marked you “Must meet”",
    ]


def test_recommend_all_agrees_with_recommend(hall):
    everyone = rec.recommend_all(2)
    assert set(everyone) == {c.pk for c in vars(hall).values()}
    for company in vars(hall).values():
        single = [(item.company.pk, item.score) for item in rec.recommend(company, 2)]
        assert [pk for pk, _s in everyone[company.pk]] == [pk for pk, _s in single]
        assert np.allclose([s for _pk, s in everyone[company.pk]], [s for _pk, s in single])


def test_the_index_is_cached_until_the_data_changes(hall):
    first = rec.get_index()
    assert rec.get_index() is first
    factories.make_company(role="buyer", name_en="Another buyer", country="VN")
    assert rec.get_index() is not first


# --- pluggable backend -----------------------------------------------------------------------


class FakeSentenceTransformer:
    """Stands in for sentence_transformers.SentenceTransformer: a bag of characters."""

    loaded: list = []

    def __init__(self, path, **kwargs):
        self.loaded.append((path, kwargs))

    def encode(self, texts, **kwargs):
        vectors = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for char in text:
                vectors[row, ord(char) % 64] += 1
        return vectors


@pytest.fixture
def fake_sentence_transformers(monkeypatch):
    module = types.ModuleType("sentence_transformers")
    module.SentenceTransformer = FakeSentenceTransformer
    FakeSentenceTransformer.loaded = []
    monkeypatch.setitem(sys.modules, "sentence_transformers", module)
    return FakeSentenceTransformer


def test_embedding_backend_needs_a_local_directory(settings, tmp_path):
    settings.BIZWEEK_EMBEDDING_MODEL_PATH = ""
    with pytest.raises(ImproperlyConfigured, match="BIZWEEK_EMBEDDING_MODEL_PATH"):
        rec.EmbeddingBackend()
    settings.BIZWEEK_EMBEDDING_MODEL_PATH = str(tmp_path / "missing")
    with pytest.raises(ImproperlyConfigured, match="not a directory"):
        rec.EmbeddingBackend()


def test_embedding_backend_without_the_package(settings, tmp_path, monkeypatch):
    settings.BIZWEEK_EMBEDDING_MODEL_PATH = str(tmp_path)
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import fails
    with pytest.raises(ImproperlyConfigured, match="sentence-transformers"):
        rec.EmbeddingBackend().fit(["text"])


def test_embedding_backend_is_chosen_by_setting_and_loads_locally(
    settings, tmp_path, hall, fake_sentence_transformers
):
    settings.BIZWEEK_EMBEDDING_MODEL_PATH = str(tmp_path)
    settings.BIZWEEK_RECOMMENDER_BACKEND = "bizweek.recommend.similarity.EmbeddingBackend"
    backend = rec.get_backend()
    assert isinstance(backend, rec.EmbeddingBackend)
    backend.fit(["挖掘机", "挖掘机 굴착기", "化妆品"])
    sims = backend.similarity(np.array([0]), np.array([0, 1, 2]))
    assert sims.shape == (1, 3) and sims[0, 0] == pytest.approx(1.0)
    assert fake_sentence_transformers.loaded[0] == (str(tmp_path), {"local_files_only": True})
    found = rec.recommend(hall.english, 2)  # the whole pipeline runs on the fake model
    assert found and found[0].company == hall.ginseng


def test_backend_setting_with_the_old_matching_path_is_still_accepted(settings):
    for old in (
        "bizweek.matching.similarity.TfidfBackend",
        "bizweek.matching.recommend.TfidfBackend",
    ):
        settings.BIZWEEK_RECOMMENDER_BACKEND = old
        assert isinstance(rec.get_backend(), rec.TfidfBackend)


def test_unknown_backend_is_a_configuration_error(settings):
    settings.BIZWEEK_RECOMMENDER_BACKEND = "bizweek.recommend.services.NoSuchBackend"
    with pytest.raises(ImproperlyConfigured):
        rec.get_backend()


# --- API and CLI -----------------------------------------------------------------------------


@pytest.fixture
def api_client():
    """The router mounted as api.py mounts its siblings, with the project's error handlers."""
    api = NinjaAPI(urls_namespace="test-recommendations")
    api.add_router("/", router)
    api.add_exception_handler(PermissionDenied, on_permission_denied)
    api.add_exception_handler(Http404, on_not_found)
    return TestClient(api)


def url(company):
    return f"/companies/{company.pk}/recommendations"


def test_api_lists_recommendations_for_the_company_s_own_members(hall, api_client):
    member = factories.make_member(hall.chinese)
    response = api_client.get(url(hall.chinese) + "?limit=2&lang=ko", user=member)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["items"]) == 2
    first = body["items"][0]
    assert first["id"] == hall.excavators.pk
    assert first["external_id"] == hall.excavators.external_id
    assert first["name"] == "대한중장비"
    assert first["role"] == "seller" and first["country"] == "KR"
    assert 0 < first["score"] <= 1
    assert first["reasons"][0]["code"] == "hs_inferred"
    assert "굴착기" in first["reasons"][0]["text"]  # the HS name in Korean


def test_api_refuses_other_companies_and_unknown_ids(hall, api_client):
    stranger = factories.make_member(hall.traditional)
    assert api_client.get(url(hall.chinese), user=stranger).status_code == 403
    organizer = factories.make_organizer()
    assert api_client.get(url(hall.chinese), user=organizer).status_code == 200
    missing = types.SimpleNamespace(pk=10**9)
    assert api_client.get(url(missing), user=organizer).status_code == 404


def test_api_is_mounted_in_the_project_api(hall, client):
    from django.urls import Resolver404, resolve

    try:
        resolve(f"/api/v1/companies/{hall.chinese.pk}/recommendations")
    except Resolver404:
        pytest.skip("the recommendations router is not mounted in bizweek/api/api.py yet")
    assert client.get(f"/api/v1/companies/{hall.chinese.pk}/recommendations").status_code == 401
    client.force_login(factories.make_member(hall.traditional))
    assert client.get(f"/api/v1/companies/{hall.chinese.pk}/recommendations").status_code == 403
    client.force_login(factories.make_member(hall.chinese))
    response = client.get(f"/api/v1/companies/{hall.chinese.pk}/recommendations?limit=1")
    assert response.status_code == 200
    assert response.json()["items"][0]["id"] == hall.excavators.pk


def test_cli_prints_json_best_first(hall):
    out = StringIO()
    call_command("recommend", hall.traditional.external_id, "--json", "--limit", "2", stdout=out)
    rows = json.loads(out.getvalue())
    assert len(rows) == 2
    assert rows[0]["external_id"] == hall.cosmetics.external_id
    assert rows[0]["score"] >= rows[1]["score"]
    assert {"external_id", "name", "score", "reasons"} <= set(rows[0])
    assert rows[0]["reasons"][0]["code"] == "hs_inferred"


def test_cli_text_output_and_unknown_id(hall):
    out = StringIO()
    call_command("recommend", hall.chinese.external_id, "--lang", "zh-hans", stdout=out)
    assert hall.excavators.external_id in out.getvalue().splitlines()[0]
    with pytest.raises(CommandError, match="NOPE"):
        call_command("recommend", "NOPE")


def test_home_page_does_not_wait_for_a_first_index_build(client, hall):
    """Until the index exists the home page points to "For you" instead of building it inside
    the request; once built, the home page lists the suggestions (even if slightly stale)."""
    buyer = factories.make_member(hall.chinese, email="home-buyer@example.test")
    client.force_login(buyer)
    page = client.get("/accounts/me/").content.decode()
    assert rec.cached_index() is None
    assert "being prepared" in page
    rec.get_index()
    page = client.get("/accounts/me/").content.decode()
    assert "being prepared" not in page
    assert "대한중장비" in page
