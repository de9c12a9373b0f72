"""The parts of a booth page every visitor sees alike, rendered once per booth version.

A booth page is mostly the exhibitor's own content (identity, introduction, products with
photos and HS names, brochures), the same for every visitor in one language. Rendering it
takes several queries and most of the page's time, so it is cached per (booth, language,
version). What differs per visitor (the meeting-request button, marks, contact details for
signed-in users, the header with the CSRF token) is rendered on every request around it.
For anonymous visitors nothing differs but the CSRF token, so the whole page is cached with a
placeholder that each response swaps for the visitor's own token.

The version is read from rows the page loads anyway: the company's and the booth's
`updated_at`. Whatever changes what the page shows touches one of them in the same transaction
(`touch_booths`, called from expo/signals.py and from services that write with `update()`), so
the next view in any process and any language misses the old entry, even with a per-process
cache (locmem) and edits made by another process (`bizweek import`). Whether a booth may be
shown is decided on the fresh rows before the cache is consulted, and only public booths are
cached: a hidden booth or a preview is always rendered from the database.

Names of sectors and HS codes (shared by many booths) are not part of the version: an edit of
those reaches cached booth pages when their entries expire (`BIZWEEK_BOOTH_CACHE_SECONDS`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache as memoize

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from bizweek.companies.models import Company, CompanyRole, CompanyStatus

from .models import Booth, Product

# Stands for the CSRF token in cached pages. Each rendering gets its own random marker
# (stored with the page), and only the value of the form field the {% csrf_token %} tag wrote
# is swapped: exhibitor text that contains a marker (it cannot guess a fresh one anyway) or
# imitates the field (escaped, so its quotes are entities) never receives a visitor's token.
CSRF_PLACEHOLDER = "BIZWEEK-CSRF-TOKEN-PLACEHOLDER"
_CSRF_FIELD = 'name="csrfmiddlewaretoken" value="{}"'


def _new_marker() -> str:
    return f"{CSRF_PLACEHOLDER}-{secrets.token_hex(16)}"


def _swap_token(html: str, marker: str, token: str) -> str:
    """Put this visitor's token where the template's CSRF fields are, nowhere else."""
    return html.replace(_CSRF_FIELD.format(marker), _CSRF_FIELD.format(token))


# The cached fragments, in the order they appear on the page.
FRAGMENTS = {
    "identity": "expo/_booth_identity.html",
    "main": "expo/_booth_main.html",
    "brochures": "expo/_booth_brochures.html",
}
# The rest of what an anonymous visitor's cached page is made of.
PAGE_TEMPLATES = ("base.html", "expo/booth.html", "expo/_og.html", "expo/_share.html")


@memoize
def _templates_digest() -> str:
    """A hash of the fragments' templates: a deploy with changed templates uses new keys
    (a shared Redis cache outlives the processes that filled it)."""
    digest = hashlib.sha256()
    for name in (*FRAGMENTS.values(), *PAGE_TEMPLATES):
        digest.update(get_template(name).template.source.encode())
    return digest.hexdigest()[:10]


def _stamp(moment: object) -> str:
    return f"{moment.timestamp():.6f}" if moment is not None else "-"


def cache_key(company: Company, booth: Booth | None) -> str:
    """Booth, language and version: the company's and the booth's last change."""
    return ":".join(
        [
            "bizweek:booth",
            _templates_digest(),
            str(company.pk),
            get_language() or settings.LANGUAGE_CODE,
            _stamp(company.updated_at),
            _stamp(booth.updated_at if booth is not None else None),
        ]
    )


def is_public(company: Company, booth: Booth | None) -> bool:
    """What any visitor may see: an approved company whose booth is not hidden."""
    return company.is_approved and (booth is None or booth.is_published)


def booth_parts(company: Company, booth: Booth | None, *, preview: bool) -> dict[str, object]:
    """The shared fragments (safe HTML) and the og:image path of a booth page.

    Cached only for the public view of a public booth; a preview shows drafts and a hidden
    booth is seen by its members and organizers only, so both are rendered fresh.
    """
    if preview or not is_public(company, booth):
        return _as_safe(render_parts(company, booth, preview=preview))
    key = cache_key(company, booth)
    parts = cache.get(key)
    if parts is None:
        parts = render_parts(company, booth, preview=False)
        cache.set(key, parts, timeout=settings.BIZWEEK_BOOTH_CACHE_SECONDS)
    return _as_safe(parts)


@dataclass(frozen=True)
class BoothState:
    """What showing a booth page to anyone depends on, read fresh on every request."""

    company_id: int
    role: str
    status: str
    version: str  # the company's and the booth's updated_at, as stored
    published: bool | None  # None: the company has no booth row (shown as published)

    @property
    def is_public_booth(self) -> bool:
        return (
            self.role == CompanyRole.SELLER
            and self.status == CompanyStatus.APPROVED
            and self.published is not False
        )


def booth_state(company_id: int) -> BoothState | None:
    """One small query instead of building the company model: the fast path of cached pages."""
    quote = connection.ops.quote_name
    company, booth = quote(Company._meta.db_table), quote(Booth._meta.db_table)
    sql = (
        f"SELECT c.{quote('role')}, c.{quote('status')}, c.{quote('updated_at')}, "  # noqa: S608
        f"b.{quote('is_published')}, b.{quote('updated_at')} "
        f"FROM {company} c LEFT JOIN {booth} b ON b.{quote('company_id')} = c.{quote('id')} "
        f"WHERE c.{quote('id')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [company_id])
        row = cursor.fetchone()
    if row is None:
        return None
    role, status, company_changed, published, booth_changed = row
    return BoothState(
        company_id=company_id,
        role=role,
        status=status,
        version=f"{company_changed}|{booth_changed}".replace(" ", "T"),  # no spaces in keys
        published=None if published is None else bool(published),
    )


def page_is_cacheable(request: HttpRequest) -> bool:
    """Anonymous GET without a query string or pending messages: then a booth page differs
    from any other anonymous visitor's only by its CSRF token."""
    return (
        request.method == "GET"
        and not request.user.is_authenticated
        and not request.GET
        and not len(messages.get_messages(request))
    )


def _page_key(request: HttpRequest, state: BoothState) -> str:
    return ":".join(
        [
            "bizweek:booth-page",
            _templates_digest(),
            str(state.company_id),
            get_language() or settings.LANGUAGE_CODE,
            state.version,
            request.scheme,
            request.get_host(),
            request.path,
            timezone.get_current_timezone_name(),
            _event_stamp(request),
        ]
    )


def cached_page(request: HttpRequest, state: BoothState) -> str | None:
    """The cached page of a public booth for this anonymous visitor (their CSRF token in)."""
    if not state.is_public_booth:
        return None
    entry = cache.get(_page_key(request, state))
    if not isinstance(entry, tuple):
        return None
    marker, html = entry
    return _swap_token(html, marker, get_token(request))


def store_page(request: HttpRequest, state: BoothState, render: Callable[[str], str]) -> str:
    """Render the anonymous page with the CSRF placeholder, cache it, return this visitor's."""
    marker = _new_marker()
    html = str(render(marker))
    if state.is_public_booth:
        cache.set(
            _page_key(request, state),
            (marker, html),
            timeout=settings.BIZWEEK_BOOTH_CACHE_SECONDS,
        )
    return _swap_token(html, marker, get_token(request))


def _event_stamp(request: HttpRequest) -> str:
    """The current event's texts shown by the base template (it has no updated_at)."""
    from bizweek.events.services import current_event

    event = current_event(request)
    if event is None:
        return "-"
    shown = repr((event.pk, event.name, event.organizer_name))
    return hashlib.sha256(shown.encode()).hexdigest()[:12]


def _as_safe(parts: dict[str, str]) -> dict[str, object]:
    return {k: mark_safe(v) if k in FRAGMENTS else v for k, v in parts.items()}


def render_parts(company: Company, booth: Booth | None, *, preview: bool) -> dict[str, str]:
    """Render the fragments from the database (plain strings, so any cache can store them).

    They are rendered without the request: nothing in them may depend on the visitor.
    """
    from .services import visible_products

    products: list[Product] = list(visible_products(company, preview=preview))
    context = {
        "company": company,
        "booth": booth,
        "sectors": list(company.sectors.all()),
        "products": products,
        "brochures": list(company.brochures.all()),
        "preview": preview,
    }
    parts = {name: str(render_to_string(template, context)) for name, template in FRAGMENTS.items()}
    parts["og_image"] = _og_image_path(booth, products)
    return parts


def _og_image_path(booth: Booth | None, products: list[Product]) -> str:
    """The logo, else the first product photo (made absolute per request: hosts differ)."""
    if booth is not None and booth.logo:
        return booth.logo.url
    for product in products:
        photos = list(product.photos.all())
        if photos:
            return photos[0].image.url
    return ""


def touch_booths(company_ids: Iterable[int]) -> None:
    """Mark these companies' booth pages changed: a new version for every language.

    Touches `Booth.updated_at`, or `Company.updated_at` for a company that has no booth row yet
    (creating one here could resurrect a booth while its company is being deleted).
    """
    ids = {int(pk) for pk in company_ids}
    if not ids:
        return
    now = timezone.now()
    touched = Booth.objects.filter(company_id__in=ids).update(updated_at=now)
    if touched < len(ids):
        Company.objects.filter(pk__in=ids, role=CompanyRole.SELLER, booth__isnull=True).update(
            updated_at=now
        )
