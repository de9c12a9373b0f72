"""Test data builders: real model instances with sensible defaults, overridable per test."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from bizweek.accounts.models import Role, User
from bizweek.companies.models import Company, CompanyRole, CompanyStatus, HSCode, Sector
from bizweek.events.models import Event
from bizweek.expo.models import Product

_sequence = itertools.count(1)
PASSWORD = "correct-horse-battery-9"


def make_company(**fields: object) -> Company:
    number = next(_sequence)
    sectors = fields.pop("sectors", [])
    hs_codes = fields.pop("hs_codes", [])
    defaults: dict[str, object] = {
        "role": CompanyRole.SELLER,
        "status": CompanyStatus.APPROVED,
        "country": "KR",
        "city": "Changwon",
        "timezone": "Asia/Seoul",
        "external_id": f"T{number:05d}",
    }
    if not any(key.startswith("name_") for key in fields):
        defaults["name_ko"] = f"테스트기업 {number}"
    defaults.update(fields)
    company = Company(**defaults)
    company.save()
    if sectors:
        company.sectors.set(Sector.objects.filter(code__in=sectors))
    if hs_codes:
        company.hs_codes.set(HSCode.objects.filter(code__in=hs_codes))
    return company


def make_user(role: str = Role.VISITOR, company: Company | None = None, **fields: object) -> User:
    number = next(_sequence)
    fields.setdefault("email", f"user{number}@example.test")
    fields.setdefault("display_name", f"User {number}")
    return User.objects.create_user(password=PASSWORD, role=role, company=company, **fields)


def make_member(company: Company, **fields: object) -> User:
    role = Role.EXHIBITOR if company.role == CompanyRole.SELLER else Role.BUYER
    return make_user(role=role, company=company, **fields)


def make_organizer(**fields: object) -> User:
    return make_user(role=Role.ORGANIZER, **fields)


def make_event(**fields: object) -> Event:
    now = timezone.now()
    defaults: dict[str, object] = {
        "slug": f"event-{next(_sequence)}",
        "name_en": "Test Bizweek",
        "name_ko": "테스트 비즈위크",
        "timezone": "Asia/Seoul",
        "registration_opens_at": now - timedelta(days=10),
        "registration_closes_at": now + timedelta(days=10),
        "starts_at": now - timedelta(days=1),
        "ends_at": now + timedelta(days=3),
        "matching_ends_at": now + timedelta(days=30),
    }
    defaults.update(fields)
    event = Event(**defaults)
    event.save()
    return event


def make_product(company: Company, **fields: object) -> Product:
    defaults: dict[str, object] = {"name_ko": f"제품 {next(_sequence)}", "currency": "USD"}
    defaults.update(fields)
    product = Product(company=company, **defaults)
    product.save()
    return product


def make_meeting(event: Event, seller: Company, buyer: Company, **fields: object):
    """A scheduled meeting with its bookings, starting now unless told otherwise."""
    from bizweek.meetings import services as meeting_services

    starts_at = fields.pop("starts_at", timezone.now().replace(microsecond=0))
    interpreter = fields.pop("interpreter", None)
    meeting = meeting_services.book(event, seller=seller, buyer=buyer, starts_at=starts_at)
    if interpreter is not None or fields:
        for name, value in fields.items():
            setattr(meeting, name, value)
        meeting.interpreter = interpreter
        meeting.save()
    return meeting
