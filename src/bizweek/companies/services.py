"""Company life cycle: registration, review, editing, membership, listing.

Views, the API and the CLI all call these functions, so a rule is enforced in one place.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from bizweek.accounts.confirmation import confirmation_link
from bizweek.accounts.models import Role, User
from bizweek.audit import services as audit
from bizweek.chinese import to_simplified
from bizweek.core import ratelimit
from bizweek.crosslingual import gloss
from bizweek.mail import send_templated_mail

from .hscodes import resolve_codes
from .models import Company, CompanyRole, CompanyStatus, HSCode, Sector
from .signals import companies_changed

CONTENT_LANGUAGES = ("ko", "zh_hans", "zh_hant", "en")
NAME_FIELDS = tuple(f"name_{lang}" for lang in CONTENT_LANGUAGES)
DESCRIPTION_FIELDS = tuple(f"description_{lang}" for lang in CONTENT_LANGUAGES)


def member_role(company_role: str) -> str:
    """The user role that membership of a company gives."""
    return Role.EXHIBITOR if company_role == CompanyRole.SELLER else Role.BUYER


def primary_name(company: Company) -> str:
    """The name to use in mail and logs when no reader language applies."""
    for field in NAME_FIELDS:
        value = getattr(company, field, "")
        if value:
            return value
    return company.external_id or ""


def parse_hs_codes(raw: str | Iterable[str]) -> tuple[list[HSCode], list[str]]:
    """Split a ;-, comma- or space-separated list of HS codes into known codes and unknown ones.

    Codes are read as people write them (8429.52, 8429 52, national 10-digit codes).
    """
    resolved = resolve_codes(raw, known_hs_codes())
    wanted = [found.code for found in resolved if found.code]
    unknown = [found.written for found in resolved if not found.code]
    found = HSCode.objects.in_bulk(wanted)
    return [found[code] for code in dict.fromkeys(wanted) if code in found], unknown


def known_hs_codes() -> set[str]:
    return set(HSCode.objects.values_list("code", flat=True))


def _apply_fields(company: Company, data: dict[str, Any]) -> None:
    sectors = data.pop("sectors", None)
    hs_codes = data.pop("hs_codes", None)
    changed = set()
    for key, value in data.items():
        if getattr(company, key, None) != value:
            changed.add(key)
        setattr(company, key, value)
    company.mark_written(changed)
    company.full_clean(exclude=["sectors", "hs_codes", "reviewed_by"])
    company.save()
    if sectors is not None:
        company.sectors.set(sectors)
    if hs_codes is not None:
        company.hs_codes.set(hs_codes)


def register_company(
    company_data: dict[str, Any],
    *,
    email: str,
    password: str,
    display_name: str = "",
    language: str = "en",
) -> tuple[Company, User] | None:
    """Create a pending company and its first member, inactive until the address is confirmed.

    An address that already has an account gets no second one: its owner is mailed that someone
    tried (sign in or reset the password) and None is returned, while the caller answers
    exactly as for a new registration, so the form cannot be used to probe for accounts.
    """
    email = User.objects.normalize_email(email)
    with transaction.atomic():
        existing = User.objects.filter(email__iexact=email).first()
        # An invitation nobody accepted, or a registration never confirmed, does not keep the
        # address from whoever owns the mailbox: the new registration replaces it.
        if existing is not None and (
            is_unaccepted_invitation(existing) or existing.awaiting_confirmation
        ):
            _discard_unconfirmed(existing)
            existing = None
        if existing is None:
            company = Company(status=CompanyStatus.PENDING, language=language)
            _apply_fields(company, dict(company_data))
            user = User.objects.create_user(
                email=email,
                password=password,
                display_name=display_name,
                language=language,
                timezone=company.timezone,
                role=member_role(company.role),
                company=company,
                is_active=False,
                awaiting_confirmation=True,
            )
            companies_changed.send(Company, company_ids=[company.pk])
    if existing is not None:
        make_password(password)  # the same hashing time as a new account: no timing hint
        send_templated_mail(
            existing.email,
            "accounts/email/registration_attempt",
            {"user": existing},
            existing.language or language,
        )
        return None
    send_templated_mail(
        user.email,
        "companies/email/registered",
        {
            "company": company,
            "company_name": primary_name(company),
            "user": user,
            "link": confirmation_link(user),
        },
        language,
    )
    return company, user


def _discard_unconfirmed(user: User) -> None:
    """Delete an account nobody took up, and its company if it was a registration of its own."""
    company = user.company
    user.delete()
    if (
        company is not None
        and company.status == CompanyStatus.PENDING
        and not company.members.exists()
    ):
        company.delete()


def update_company(company: Company, data: dict[str, Any], *, by: User) -> Company:
    if not by.has_perm("companies.change_company", company):
        raise PermissionDenied(_("You may only edit your own company."))
    data = dict(data)
    if not by.has_perm("companies.review_company", company):
        # Members edit their profile; only organizers change role, status or external ID.
        for key in ("role", "status", "external_id", "rejection_reason"):
            data.pop(key, None)
    with transaction.atomic():
        _apply_fields(company, data)
        companies_changed.send(Company, company_ids=[company.pk])
    return company


def _notify_review(company: Company) -> int:
    sent = 0
    for member in company.members.filter(is_active=True):
        sent += send_templated_mail(
            member.email,
            f"companies/email/{company.status}",
            {"company": company, "company_name": primary_name(company), "user": member},
            member.language or company.language,
        )
    return sent


def approve_company(company: Company, *, by: User) -> Company:
    if not by.has_perm("companies.review_company", company):
        raise PermissionDenied(_("Only organizers can approve companies."))
    company.status = CompanyStatus.APPROVED
    company.rejection_reason = ""
    company.reviewed_at = timezone.now()
    company.reviewed_by = by
    company.save(update_fields=["status", "rejection_reason", "reviewed_at", "reviewed_by"])
    audit.record(by, "company.approved", company)
    _notify_review(company)
    return company


def reject_company(company: Company, *, by: User, reason: str) -> Company:
    if not by.has_perm("companies.review_company", company):
        raise PermissionDenied(_("Only organizers can reject companies."))
    if not reason.strip():
        raise ValidationError({"reason": _("Please give the company a reason.")})
    company.status = CompanyStatus.REJECTED
    company.rejection_reason = reason.strip()
    company.reviewed_at = timezone.now()
    company.reviewed_by = by
    company.save(update_fields=["status", "rejection_reason", "reviewed_at", "reviewed_by"])
    audit.record(by, "company.rejected", company, reason=company.rejection_reason)
    _notify_review(company)
    return company


def is_unaccepted_invitation(user: User) -> bool:
    """An account made by an invitation whose link was never used: it holds no password and
    was never signed in, so the address still belongs to whoever owns the mailbox."""
    return not user.has_usable_password() and user.last_login is None


def add_member(
    company: Company, *, email: str, display_name: str, language: str, by: User
) -> User | None:
    """Invite a colleague: a new account in the company, which sets its password from a link.

    Only an approved company invites (an organizer may for any company), at most
    `BIZWEEK_INVITATIONS` per company and window. The mail is the platform's own wording
    with the organizer-approved company name: nothing the inviter typed. An address that
    already has an account gets no mail and the caller learns nothing (returns None), so the
    form cannot be used to probe for accounts.
    """
    if not by.has_perm("companies.add_member", company):
        raise PermissionDenied(_("You may only add members to your own company."))
    if not company.is_approved and not by.is_organizer:
        raise PermissionDenied(_("Your company can invite colleagues once it is approved."))
    limit, window = _rate("BIZWEEK_INVITATIONS", "10/86400")
    if not by.is_organizer and not ratelimit.allow(
        "invitations", str(company.pk), limit=limit, window=window
    ):
        raise ValidationError(
            {"email": _("Your company sent many invitations today. Please try again tomorrow.")}
        )
    if User.objects.filter(email__iexact=email).exists():
        return None
    user = User.objects.create_user(
        email=email,
        password=None,
        display_name=display_name,
        language=language,
        timezone=company.timezone,
        role=member_role(company.role),
        company=company,
    )
    link = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    send_templated_mail(
        user.email,
        "companies/email/invited",
        {"company_name": primary_name(company), "user": user, "link": link},
        language,
    )
    return user


def review_queue() -> QuerySet[Company]:
    return (
        Company.objects.filter(status=CompanyStatus.PENDING)
        .exclude(members__awaiting_confirmation=True)  # nobody confirmed the address yet
        .prefetch_related("sectors", "members")
        .order_by("created_at")
    )


def visible_companies(user: User | None) -> QuerySet[Company]:
    """Organizers see every company; everyone else approved ones (plus their own)."""
    qs = Company.objects.all()
    if user is not None and user.is_authenticated and user.is_organizer:
        return qs
    condition = Q(status=CompanyStatus.APPROVED)
    if user is not None and user.is_authenticated and user.company_id:
        condition |= Q(pk=user.company_id)
    return qs.filter(condition)


def filter_companies(
    qs: QuerySet[Company],
    *,
    role: str = "",
    country: str = "",
    sector: str = "",
    hs: str = "",
) -> QuerySet[Company]:
    """Narrow a company list by facets; text search is expo.search (one engine everywhere)."""
    if role:
        qs = qs.filter(role=role)
    if country:
        qs = qs.filter(country=country.upper())
    if sector:
        qs = qs.filter(sectors__code=sector)
    if hs:
        code = hs.strip().replace(".", "")
        qs = qs.filter(hs_codes__code__startswith=code)
    if sector or hs:
        qs = qs.distinct()
    return qs


def sectors() -> QuerySet[Sector]:
    return Sector.objects.all()


# --------------------------------------------------------------------------- HS picker

_HS_INDEX: dict[str, Any] = {"count": -1, "rows": []}
_NON_WORD = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    """Lower case, full-width folded, Traditional Chinese as Simplified, punctuation as spaces.

    A leading space lets a Latin word match at a word start only ("led" not in "propelled").
    """
    text = to_simplified(unicodedata.normalize("NFKC", text or "").lower())
    return " " + " ".join(_NON_WORD.sub(" ", text).split())


def _contains(folded: str, word: str) -> float:
    """1 when the word is there; for a CJK word, the share of its two-character pieces that are
    (so 冷冻鱿鱼 still finds 冻鱼 and 鱿鱼), since CJK text has no spaces to split on."""
    if word.isascii():
        return float(" " + word in folded)
    if word in folded:
        return 1.0
    pairs = [word[i : i + 2] for i in range(len(word) - 1)]
    share = sum(pair in folded for pair in pairs) / len(pairs) if pairs else 0.0
    return share if share >= 0.5 else 0.0


def _hs_index() -> list[dict[str, Any]]:
    """Every HS code with its folded text in all languages; rebuilt when the taxonomy changes."""
    count = HSCode.objects.count()
    if _HS_INDEX["count"] != count:
        rows = []
        for values in HSCode.objects.values(
            "code", "description", *[f"name_{lang}" for lang in CONTENT_LANGUAGES]
        ):
            names = {lang: values[f"name_{lang}"] or "" for lang in CONTENT_LANGUAGES}
            folded = {lang: _fold(name) for lang, name in names.items()}
            folded["all"] = " ".join([*folded.values(), _fold(values["description"])])
            rows.append({"code": values["code"], "names": names, "folded": folded})
        _HS_INDEX.update(count=count, rows=rows)
    return _HS_INDEX["rows"]


def _reader_language(language: str) -> str:
    return language.replace("-", "_").lower() if language else "en"


def search_hs(
    query: str, language: str = "en", limit: int = 20, *, bridge: bool = True
) -> list[dict[str, str]]:
    """HS codes for a picker: by code prefix (8429, 8429.52) or by words in any language.

    Names in the reader's language rank first; when no code holds every word, the codes
    holding most of them come back rather than nothing.
    """
    lang = _reader_language(language)
    lang = lang if lang in CONTENT_LANGUAGES else "en"
    rows = _hs_index()
    digits = "".join(ch for ch in query if ch.isdigit())
    words = [w for w in _fold(query).split() if not w.isdigit()]
    scored = []
    for row in rows:
        code = row["code"]
        if digits and not words:
            if code.startswith(digits[:6]):
                scored.append(((len(code), code), row))
            continue
        if digits and not code.startswith(digits[:6]):
            continue
        folded = row["folded"]
        hits = sum(_contains(folded["all"], w) for w in words)
        if not hits:
            continue
        own = sum(_contains(folded[lang], w) for w in words)
        whole = _contains(folded[lang], _fold(query).strip())
        level = {4: 0, 6: 1, 2: 2}[len(code)]
        scored.append(((-hits, -whole, -own, level, code), row))
    scored.sort(key=lambda item: item[0])
    if words and scored:
        best = -scored[0][0][0]
        scored = [item for item in scored if -item[0][0] == best]
    if bridge and words and not digits and (not scored or -scored[0][0][0] < len(words)):
        # Not every word is in the taxonomy (鱿鱼, 洗髮精, "digger"): try its English gloss.
        english = gloss(query)
        bridged = search_hs(english, language, limit, bridge=False) if english else []
        if bridged:
            return bridged
    return [hs_choice(row, lang) for _key, row in scored[:limit]]


def hs_choice(row: dict[str, Any], lang: str) -> dict[str, str]:
    return {"code": row["code"], "name": row["names"].get(lang) or row["names"]["en"]}


def hs_labels(codes: Iterable[str], language: str = "en") -> list[dict[str, str]]:
    """Names of the given codes in the reader's language (the picker's chosen codes)."""
    lang = _reader_language(language)
    lang = lang if lang in CONTENT_LANGUAGES else "en"
    wanted = set(codes)
    return [hs_choice(row, lang) for row in _hs_index() if row["code"] in wanted]


def _rate(setting: str, default: str) -> tuple[int, int]:
    """A "hits/seconds" setting, e.g. "100/300"."""
    limit, _slash, window = str(getattr(settings, setting, default)).partition("/")
    return int(limit), int(window or 60)


def may_see_contacts(user: User | None, company: Company) -> bool:
    """Whether `user` may read `company`'s contact person, e-mail and phone."""
    return bool(user is not None and user.has_perm("companies.view_contacts", company))


def count_contact_read(user: User) -> bool:
    """Count one read of another company's contacts; False past the limit for this window
    (`BIZWEEK_CONTACT_READS`, default 100 companies per 5 minutes), against harvesting."""
    if user.is_organizer:
        return True
    limit, window = _rate("BIZWEEK_CONTACT_READS", "100/300")
    return ratelimit.allow("contacts", str(user.pk), limit=limit, window=window)


def contacts_for(user: User | None, company: Company) -> str:
    """Show contacts on this page? "shown", "throttled" (allowed, but past the bulk-reading
    limit) or "" (not allowed). A member reading their own company is not counted."""
    if not may_see_contacts(user, company):
        return ""
    if user.company_id == company.pk or count_contact_read(user):
        return "shown"
    return "throttled"
