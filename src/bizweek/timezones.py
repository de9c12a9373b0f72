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
