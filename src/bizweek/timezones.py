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


@functools.cache
def timezone_choices() -> list[tuple[str, str]]:
    """Zones people live in, labelled with their UTC offset: 'Asia/Seoul (UTC+09:00)'."""
    now = datetime.now(tz=zoneinfo.ZoneInfo("UTC"))
    choices = []
    for name in sorted(timezone_names()):
        if "/" not in name or name.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/")):
            continue
        offset = now.astimezone(zoneinfo.ZoneInfo(name)).strftime("%z")
        choices.append((name, f"{name} (UTC{offset[:3]}:{offset[3:]})"))
    return choices


def city(tz_name: str) -> str:
    """'America/Los_Angeles' → 'Los Angeles': how people name a time zone in conversation."""
    return tz_name.rsplit("/", 1)[-1].replace("_", " ")


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
