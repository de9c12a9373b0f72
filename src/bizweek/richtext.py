"""Exhibitors' formatted text (booth and product descriptions), made safe to show as HTML.

Only a small set of text-formatting tags survives; scripts, styles, images, frames, event
handlers and links to anything but web pages and e-mail addresses are removed, so one exhibitor
cannot run code in a visitor's browser or restyle the hall.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a", "h3", "h4", "blockquote"}
)
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"
_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")


def _keep_safe_links(tag: str, attribute: str, value: str) -> str | None:
    """Links must name their scheme: relative and protocol-relative URLs are dropped too."""
    if tag == "a" and attribute == "href":
        scheme = urlsplit(value.strip()).scheme.lower()
        return value if scheme in URL_SCHEMES else None
    return value  # e.g. the rel that nh3 adds itself


def sanitize_html(text: str) -> SafeString:
    """Keep the formatting an exhibitor may use and drop everything else (script and style
    elements with their content), so the result can be shown as HTML."""
    cleaned = nh3.clean(
        text or "",
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_safe_links,
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return mark_safe(cleaned)  # nh3 has just sanitised it


def plain_to_html(text: str) -> SafeString:
    """Show plain text as typed: blank lines separate paragraphs, single newlines break lines."""
    normalised = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not normalised:
        return mark_safe("")
    paragraphs = (
        "<p>" + "<br>\n".join(escape(line) for line in block.split("\n")) + "</p>"
        for block in _BLANK_LINE.split(normalised)
    )
    return mark_safe("\n".join(paragraphs))  # built from escaped text only
