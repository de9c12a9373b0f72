"""IANA time zones: validation and the list people pick from."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


@functools.cache
def timezone_names() -> frozenset[str]:
    """Canonical area/location zones; legacy aliases like 'US/Pacific' are still accepted."""
    return frozenset(zoneinfo.available_timezones())


def is_valid_timezone(name: str) -> bool:
    return name in timezone_names()


def validate_timezone(value: str) -> None:
    if not is_valid_timezone(value):
        raise ValidationError(
            _("“%(value)s” is not a known IANA time zone (for example Asia/Seoul)."),
            code="invalid_timezone",
            params={"value": value},
        )


def timezone_choices(language: str | None = None) -> list[tuple[str, str]]:
    """Zones people live in as the reader names them, 'Seoul (UTC+09:00)' or '서울 (UTC+09:00)'
    (CLDR cities via Babel), sorted by that name; the value stays the IANA name."""
    return _timezone_choices(
        cldr_locale(language), datetime.now(tz=zoneinfo.ZoneInfo("UTC")).date()
    )


@functools.lru_cache(maxsize=16)
def _timezone_choices(locale: str, _today: object) -> list[tuple[str, str]]:
    # keyed by day too, so offsets follow daylight saving time
    now = datetime.now(tz=zoneinfo.ZoneInfo("UTC"))
    choices = []
    for name in sorted(timezone_names()):
        if "/" not in name or name.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/")):
            continue
        offset = now.astimezone(zoneinfo.ZoneInfo(name)).strftime("%z")
        choices.append((name, f"{_exemplar_city(name, locale)} (UTC{offset[:3]}:{offset[3:]})"))
    return sorted(choices, key=lambda choice: (choice[1].casefold(), choice[0]))


# Django language codes → CLDR locales (Babel).
_CLDR_LOCALES = {"ko": "ko", "zh-hans": "zh_Hans", "zh-hant": "zh_Hant", "en": "en"}


def cldr_locale(language: str | None = None) -> str:
    from django.utils.translation import get_language

    code = (language or get_language() or "en").lower()
    if code.startswith("zh"):
        return "zh_Hant" if code.endswith(("hant", "tw", "hk", "mo")) else "zh_Hans"
    return _CLDR_LOCALES.get(code.split("-")[0], "en")


@functools.lru_cache(maxsize=4096)
def _exemplar_city(tz_name: str, locale: str) -> str:
    from babel.dates import get_timezone_location

    try:
        return get_timezone_location(tz_name, locale=locale, return_city=True)
    except (LookupError, ValueError):
        return tz_name.rsplit("/", 1)[-1].replace("_", " ")


def city(tz_name: str, language: str | None = None) -> str:
    """'America/Los_Angeles' → 'Los Angeles', '로스앤젤레스', '洛杉矶': how people name a time
    zone in conversation, in the reader's language (CLDR exemplar cities, via Babel)."""
    return _exemplar_city(tz_name, cldr_locale(language))


def zone_label(tz_name: str, language: str | None = None) -> str:
    """'서울 (UTC+09:00)': a zone as a reader recognises it, with its offset now."""
    offset = datetime.now(tz=zoneinfo.ZoneInfo(tz_name)).strftime("%z")
    return f"{city(tz_name, language)} (UTC{offset[:3]}:{offset[3:]})"


def company_city(city_text: str, tz_name: str, language: str | None = None) -> str:
    """A company's city in the reader's language when it is its zone's CLDR city ('Bangkok' in
    Asia/Bangkok reads '방콕' in Korean); otherwise as typed, but not shouted ('DAEGU')."""
    text = (city_text or "").strip()
    if tz_name and text.casefold() == _exemplar_city(tz_name, "en").casefold():
        return city(tz_name, language)
    if text.isascii() and text.isupper():
        return text.title()
    return text


def local_label(moment: datetime, tz_name: str, *, with_date: bool = True) -> str:
    local = moment.astimezone(zoneinfo.ZoneInfo(tz_name))
    stamp = local.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")
    return f"{stamp} {city(tz_name)}"


def dual_label(moment: datetime, first_tz: str, second_tz: str) -> str:
    """'2026-12-01 10:00 Seoul · 2026-11-30 17:00 Los Angeles': both sides' wall clocks."""
    if first_tz == second_tz:
        return local_label(moment, first_tz)
    first = moment.astimezone(zoneinfo.ZoneInfo(first_tz))
    second = moment.astimezone(zoneinfo.ZoneInfo(second_tz))
    second_fmt = "%H:%M" if first.date() == second.date() else "%Y-%m-%d %H:%M"
    return (
        f"{first.strftime('%Y-%m-%d %H:%M')} {city(first_tz)} · "
        f"{second.strftime(second_fmt)} {city(second_tz)}"
    )


def dual_clock_label(moment: datetime, first_tz: str, second_tz: str) -> str:
    """'11:00 Seoul · 09:00 Bangkok': both clocks without the date the heading already gives."""
    first = moment.astimezone(zoneinfo.ZoneInfo(first_tz))
    if first_tz == second_tz:
        return f"{first.strftime('%H:%M')} {city(first_tz)}"
    second = moment.astimezone(zoneinfo.ZoneInfo(second_tz))
    second_fmt = "%H:%M" if first.date() == second.date() else "%m-%d %H:%M"
    mine = f"{first.strftime('%H:%M')} {city(first_tz)}"
    return f"{mine} · {second.strftime(second_fmt)} {city(second_tz)}"


def relative_label(moment: datetime, tz_name: str, now: datetime) -> str:
    """'today at 14:00', 'tomorrow at 09:30': counted in the reader's own calendar day, so a
    reminder sent at 23:50 for a meeting at 00:30 says 'tomorrow', and one in another zone for
    the same moment may say 'today'."""
    from django.utils.translation import gettext

    tz = zoneinfo.ZoneInfo(tz_name)
    local, today = moment.astimezone(tz), now.astimezone(tz).date()
    clock = local.strftime("%H:%M")
    days = (local.date() - today).days
    if days == 0:
        return gettext("today at %(time)s") % {"time": clock}
    if days == 1:
        return gettext("tomorrow at %(time)s") % {"time": clock}
    if days == -1:
        return gettext("yesterday at %(time)s") % {"time": clock}
    return gettext("on %(date)s at %(time)s") % {"date": local.strftime("%Y-%m-%d"), "time": clock}
