"""Template helpers shared by every app."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from bizweek.countries import country_name as _country_name

register = template.Library()


@register.filter
def country_name(code: str) -> str:
    """ISO code → the country's name in the reader's language."""
    return _country_name(code, get_language())


@register.simple_tag(takes_context=True)
def query_with(context: dict, **changes: object) -> str:
    """The current query string with some parameters replaced (for pagination and filters)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = value
    return "?" + params.urlencode()


@register.filter
def other_names(obj: object, field: str = "name") -> list[str]:
    """The texts of a translated field in the other languages, each once (for reviewers)."""
    shown = getattr(obj, field, "")
    derived = set(getattr(obj, "chinese_derived", None) or [])
    values = []
    for suffix in ("ko", "zh_hans", "zh_hant", "en"):
        if f"{field}_{suffix}" in derived:
            continue
        value = getattr(obj, f"{field}_{suffix}", "") or ""
        if value and value != shown and value not in values:
            values.append(value)
    return values


@register.filter
def highlight(text: str, query: str) -> str:
    """Mark the words of a search query in a text (escaped)."""
    from bizweek.expo.search import highlight as _highlight

    return _highlight(str(text or ""), query) if query else text


@register.filter
def filesize(size: int) -> str:
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{max(size, 1) // 1024 or 1} KB"


@register.filter
def richtext(text: str) -> str:
    """User-written description → safe HTML: allowed tags kept, everything else removed."""
    from django.utils.safestring import mark_safe

    from bizweek.richtext import plain_to_html, sanitize_html

    text = str(text or "")
    html = sanitize_html(text) if "<" in text else plain_to_html(text)
    return mark_safe(html)


@register.filter
def both_times(moment: object, other_tz: str) -> str:
    """A meeting time on the reader's clock and the other side's: '10:00 Seoul · 09:00 Bangkok'."""
    from django.utils import timezone

    from bizweek.timezones import dual_label

    if not moment:
        return ""
    return dual_label(moment, timezone.get_current_timezone_name(), other_tz or "UTC")


@register.filter
def both_clocks(moment: object, other_tz: str) -> str:
    """A slot under a day heading: '11:00 Seoul · 09:00 Bangkok' (the other side's date only
    when it differs: '08:00 Seoul · 12-08 15:00 Los Angeles')."""
    from django.utils import timezone

    from bizweek.timezones import dual_clock_label

    if not moment:
        return ""
    return dual_clock_label(moment, timezone.get_current_timezone_name(), other_tz or "UTC")


@register.filter
def zone_label(tz_name: str) -> str:
    import zoneinfo

    from bizweek.timezones import zone_label as label

    try:
        return label(str(tz_name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # an unknown zone is shown as it is
        return str(tz_name)


@register.filter
def city_of(company: object) -> str:
    """A company's city in the reader's language where CLDR knows it."""
    from bizweek.timezones import company_city

    return company_city(getattr(company, "city", ""), getattr(company, "timezone", ""))


@register.filter
def language_pair(pair: str) -> str:
    """'ko-zh' → '한국어–중국어' for a Korean reader (CLDR language names, via Babel)."""
    from babel import Locale

    from bizweek.timezones import cldr_locale

    if not pair:
        return ""
    names = Locale.parse(cldr_locale()).languages
    return "–".join(names.get(code.strip(), code) for code in str(pair).split("-"))


@register.filter
def role_name(code: str) -> str:
    """A role code ('visitor') as the reader's word for it; an anonymous visit has none."""
    from django.utils.translation import gettext

    from bizweek.accounts.models import Role

    try:
        return str(Role(code).label)
    except ValueError:
        return gettext("Not signed in") if not code or code == "anonymous" else str(code)


@register.filter
def local_time(moment: object) -> str:
    from django.utils import timezone

    from bizweek.timezones import local_label

    return local_label(moment, timezone.get_current_timezone_name()) if moment else ""


_LEGAL_FORMS = ("(주)", "㈜", "주식회사", "(유)", "유한회사", "株式会社", "有限公司")


@register.filter
def initial(name: str) -> str:
    """The letter for a logo placeholder: '(주)명신기계' → '명', not '('."""
    text = str(name or "")
    for form in _LEGAL_FORMS:
        text = text.replace(form, "")
    for char in text:
        if char.isalnum():
            return char.upper()
    return "·"
