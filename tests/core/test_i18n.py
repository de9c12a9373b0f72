"""Every page speaks all four languages; home and registration leave no UI string in English."""

import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

from tests import factories

LANGS = ["ko", "zh-hans", "zh-hant", "en"]

# Text that is the same in every language: names of languages in their own script, the brand,
# codes and identifiers shown as data.
SAME_IN_EVERY_LANGUAGE = {
    *("English", "한국어", "简体中文", "繁體中文", "Bizweek", "B", "HS", "CSV", "XLSX"),
    *("Asia", "Seoul", "UTC"),  # the event's time zone name
    "ICT",  # the sector is called ICT in Korean too
}


class _Text(HTMLParser):
    """Collects visible text and human-facing attributes (placeholder, aria-label, title)."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "datalist", "option", "code"}:
            self._skip += 1
        for name, value in attrs:
            if name in {"placeholder", "aria-label", "title"} and value:
                self.texts.append(value.strip())

    def handle_endtag(self, tag):
        if tag in {"script", "style", "datalist", "option", "code"} and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


def visible_english(html: str) -> set[str]:
    parser = _Text()
    parser.feed(html)
    found = set()
    for text in parser.texts:
        words = re.findall(r"[A-Za-z][A-Za-z'’-]+", text)
        if words and not all(w in SAME_IN_EVERY_LANGUAGE for w in words):
            found.add(text)
    return found


def get_in(client, url: str, lang: str):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    return client.get(url)


@pytest.fixture
def demo_event(db):
    return factories.make_event(
        name_ko="창원 비즈위크", name_zh_hans="昌原商务周", name_en="Changwon Bizweek"
    )


@pytest.mark.parametrize("lang", ["ko", "zh-hans", "zh-hant"])
@pytest.mark.parametrize("url_name", ["home", "companies:register", "login"])
def test_page_has_no_untranslated_ui_string(client, demo_event, lang, url_name):
    english = visible_english(get_in(client, reverse(url_name), "en").content.decode())
    assert english, "the English page should have English text to compare with"
    response = get_in(client, reverse(url_name), lang)
    assert f'<html lang="{lang}">' in response.content.decode()
    assert not visible_english(response.content.decode()) & english


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_renders_in_every_language(
    client, demo_event, organizer, seller, buyer_company, lang
):
    member = factories.make_member(seller)
    product = factories.make_product(seller, name_ko="미니 굴착기", hs_code_id="842952")
    public = [
        reverse("home"),
        reverse("companies:register"),
        reverse("expo:hall"),
        reverse("expo:hall") + "?q=굴착기",
        reverse("expo:sector_hall", args=["machinery"]),
        reverse("expo:booth", args=[seller.pk]),
        reverse("expo:product", args=[product.pk]),
        reverse("companies:detail", args=[buyer_company.pk]),
        reverse("login"),
        reverse("password_reset"),
    ]
    for url in public:
        response = get_in(client, url, lang)
        assert response.status_code == 200, url
        assert f'<html lang="{lang}">' in response.content.decode(), url
    client.force_login(member)
    for url in [
        reverse("accounts:dashboard"),
        reverse("accounts:profile"),
        reverse("companies:edit", args=[seller.pk]),
        reverse("companies:members", args=[seller.pk]),
        reverse("password_change"),
        reverse("expo:booth_edit", args=[seller.pk]),
        reverse("expo:product_new", args=[seller.pk]),
        reverse("expo:product_edit", args=[seller.pk, product.pk]),
        reverse("expo:booth_stats", args=[seller.pk]),
    ]:
        assert get_in(client, url, lang).status_code == 200, url
    client.force_login(organizer)
    for url in [
        reverse("companies:review_queue"),
        reverse("companies:import"),
        reverse("expo:all_stats"),
    ]:
        assert get_in(client, url, lang).status_code == 200, url


def test_browser_language_is_respected_on_first_visit(client, demo_event):
    response = client.get(reverse("home"), headers={"Accept-Language": "zh-TW,zh;q=0.9"})
    assert '<html lang="zh-hant">' in response.content.decode()
    response = client.get(reverse("home"), headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    assert "창원 비즈위크" in response.content.decode()


def test_language_switch_previews_pages_without_changing_the_accounts_language(
    client, demo_event, buyer
):
    """The switch is a preview: the account keeps its language, so its mail does too."""
    client.force_login(buyer)
    client.post(reverse("set_language"), {"language": "ko", "next": "/"})
    assert '<html lang="ko">' in client.get(reverse("home")).content.decode()
    buyer.refresh_from_db()
    assert buyer.language == "zh-hans"


def test_saved_language_applies_after_login_on_a_new_browser(client, demo_event, buyer):
    client.post(reverse("login"), {"username": buyer.email, "password": factories.PASSWORD})
    assert '<html lang="zh-hans">' in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("locale", ["ko", "zh_Hans", "zh_Hant"])
def test_translation_catalogue_is_complete(locale):
    path = Path(settings.LOCALE_PATHS[0]) / locale / "LC_MESSAGES" / "django.po"
    catalogue = polib.pofile(str(path))
    missing = [e.msgid for e in catalogue if not e.obsolete and (not e.translated() or e.fuzzy)]
    assert not missing


# Data, not interface: names people typed in one language only, addresses, codes.
DATA_TEXT = (
    *("Osaka Trading", "Sejin Hydrotech", "Catalogue?", "User "),  # names and messages
    *("@", "HS", ".ics", "UTC", "LINE", "WhatsApp"),  # addresses, codes and brands
    ".csv",  # the name of an uploaded spreadsheet
)


def _untranslated(client, url: str, lang: str) -> set[str]:
    english = visible_english(get_in(client, url, "en").content.decode())
    response = get_in(client, url, lang)
    assert response.status_code == 200, url
    found = visible_english(response.content.decode()) & english
    return {text for text in found if not any(data in text for data in DATA_TEXT)}


@pytest.mark.parametrize("lang", ["ko", "zh-hans", "zh-hant"])
def test_no_untranslated_ui_string_on_any_page_for_any_role(client, db, lang):
    """Every page each role can open (tests/pages.py), compared with its English version."""
    from tests.pages import build_site

    problems = {}
    for role, (user, urls) in build_site().items():
        if user is not None:
            client.force_login(user)
        else:
            client.logout()
        for url in urls:
            left = _untranslated(client, url, lang)
            if left:
                problems[f"{role} {url}"] = sorted(left)
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
