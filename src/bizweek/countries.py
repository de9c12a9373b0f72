"""ISO 3166-1 countries, named in the reader's language."""

from __future__ import annotations

import functools
import gettext

import pycountry
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# pycountry ships iso3166-1 translations under these gettext locale names.
_PYCOUNTRY_LOCALE = {"ko": "ko", "zh-hans": "zh_CN", "zh-hant": "zh_TW", "en": None}


@functools.cache
def country_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


def validate_country(value: str) -> None:
    if value not in country_codes():
        raise ValidationError(
            _("“%(value)s” is not an ISO 3166 country code (for example KR, TH, CN)."),
            code="invalid_country",
            params={"value": value},
        )


@functools.cache
def _translator(lang: str) -> gettext.NullTranslations:
    locale = _PYCOUNTRY_LOCALE.get(lang)
    if not locale:
        return gettext.NullTranslations()
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[locale], fallback=True
    )


def country_name(code: str, lang: str | None = None) -> str:
    country = pycountry.countries.get(alpha_2=code or "")
    if country is None:
        return code
    name = getattr(country, "common_name", None) or country.name
    translated = _translator(lang or get_language() or "en").gettext(country.name)
    return name if translated == country.name else translated


@functools.cache
def _choices(lang: str) -> list[tuple[str, str]]:
    return sorted(
        ((c.alpha_2, country_name(c.alpha_2, lang)) for c in pycountry.countries),
        key=lambda item: item[1],
    )


def country_choices() -> list[tuple[str, str]]:
    return _choices(get_language() or "en")
