import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from bizweek.accounts.models import Role
from bizweek.companies import services
from bizweek.companies.models import CompanyStatus, HSCode, Sector
from tests import factories

pytestmark = pytest.mark.django_db


def registration_data(**overrides):
    data = {
        "role": "buyer",
        "name_zh_hans": "吉隆坡宏达进出口有限公司",
        "country": "MY",
        "city": "Kuala Lumpur",
        "timezone": "Asia/Kuala_Lumpur",
        "sectors": list(Sector.objects.filter(code="food")),
        "hs_codes": list(HSCode.objects.filter(code="1902")),
    }
    data.update(overrides)
    return data


def test_register_company_creates_pending_company_and_member_and_mails_in_their_language():
    company, user = services.register_company(
        registration_data(),
        email="lim@hongda.example",
        password=factories.PASSWORD,
        display_name="林先生",
        language="zh-hans",
    )
    assert company.status == CompanyStatus.PENDING
    assert user.company == company and user.role == Role.BUYER
    assert user.timezone == "Asia/Kuala_Lumpur"
    assert company.name_zh_hant == "吉隆坡宏達進出口有限公司"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["lim@hongda.example"]
    assert "吉隆坡宏达进出口有限公司" in mail.outbox[0].subject
    assert "We received" not in mail.outbox[0].subject  # written in Chinese, not English


def test_approve_company_notifies_every_member_in_their_own_language(organizer, seller):
    seller.status = CompanyStatus.PENDING
    seller.save()
    factories.make_member(seller, email="ko@example.test", language="ko")
    factories.make_member(seller, email="en@example.test", language="en")
    services.approve_company(seller, by=organizer)
    seller.refresh_from_db()
    assert seller.status == CompanyStatus.APPROVED
    assert seller.reviewed_by == organizer
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects["en@example.test"] == "창원정밀 is approved"
    assert subjects["ko@example.test"] != subjects["en@example.test"]


def test_reject_company_needs_a_reason_and_sends_it(organizer, seller):
    factories.make_member(seller, email="member@example.test")
    with pytest.raises(ValidationError):
        services.reject_company(seller, by=organizer, reason="  ")
    services.reject_company(seller, by=organizer, reason="Incomplete profile")
    seller.refresh_from_db()
    assert seller.status == CompanyStatus.REJECTED
    assert "Incomplete profile" in mail.outbox[-1].body


def test_buyer_cannot_approve_a_company(buyer, seller):
    seller.status = CompanyStatus.PENDING
    seller.save()
    with pytest.raises(PermissionDenied):
        services.approve_company(seller, by=buyer)
    seller.refresh_from_db()
    assert seller.status == CompanyStatus.PENDING


def test_exhibitor_cannot_edit_another_company(exhibitor, buyer_company):
    with pytest.raises(PermissionDenied):
        services.update_company(buyer_company, {"city": "Hacked"}, by=exhibitor)
    buyer_company.refresh_from_db()
    assert buyer_company.city != "Hacked"


def test_member_edit_cannot_change_status_or_role(exhibitor, seller):
    seller.status = CompanyStatus.PENDING
    seller.save()
    services.update_company(
        seller, {"city": "Busan", "status": "approved", "role": "buyer"}, by=exhibitor
    )
    seller.refresh_from_db()
    assert (seller.city, seller.status, seller.role) == ("Busan", "pending", "seller")


def test_add_member_invites_a_colleague_with_a_password_link(exhibitor, seller):
    user = services.add_member(
        seller, email="colleague@example.test", display_name="김대리", language="ko", by=exhibitor
    )
    assert user.company == seller and user.role == Role.EXHIBITOR
    assert not user.has_usable_password()
    assert "/accounts/reset/" in mail.outbox[-1].body
    assert seller.members.count() == 2


def test_edited_simplified_name_updates_derived_traditional_but_not_a_written_one(seller):
    seller.name_zh_hans = "昌原精密"
    seller.save()
    assert seller.name_zh_hant == "昌原精密"
    seller.name_zh_hans = "昌原机械"
    seller.save()
    assert seller.name_zh_hant == "昌原機械"  # derived text follows its source
    seller.name_zh_hant = "昌原機械工業"
    seller.mark_written({"name_zh_hant"})
    seller.name_zh_hans = "昌原机械厂"
    seller.save()
    assert seller.name_zh_hant == "昌原機械工業"  # a person's text is kept


def test_visible_companies_hide_pending_ones_except_to_members_and_organizers(organizer):
    pending = factories.make_company(status=CompanyStatus.PENDING)
    member = factories.make_member(pending)
    assert pending not in services.visible_companies(None)
    assert pending in services.visible_companies(member)
    assert pending in services.visible_companies(organizer)
