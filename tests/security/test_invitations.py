"""Finding 2: invitations only from approved companies, rate-limited, platform wording only,
no account probing, and an unaccepted invitation does not take an address from its owner."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from bizweek.accounts.models import User
from bizweek.companies import services
from bizweek.companies.models import CompanyStatus
from tests import factories

pytestmark = pytest.mark.django_db


def _invite(company, by, email="victim@example.test", display_name="Colleague"):
    return services.add_member(
        company, email=email, display_name=display_name, language="en", by=by
    )


def test_pending_company_cannot_invite():
    pending = factories.make_company(status=CompanyStatus.PENDING)
    member = factories.make_member(pending)
    with pytest.raises(PermissionDenied):
        _invite(pending, member)
    assert not User.objects.filter(email="victim@example.test").exists()
    assert mail.outbox == []


def test_pending_company_members_page_explains_invitations_wait(client):
    pending = factories.make_company(status=CompanyStatus.PENDING)
    client.force_login(factories.make_member(pending))
    page = client.post(
        f"/companies/{pending.pk}/members/",
        {"email": "victim@example.test", "display_name": "X", "language": "en"},
    ).content.decode()
    assert "once it is approved" in page
    assert not User.objects.filter(email="victim@example.test").exists()


def test_invitations_are_rate_limited(settings, seller, exhibitor):
    settings.BIZWEEK_INVITATIONS = "2/86400"
    _invite(seller, exhibitor, "a@example.test")
    _invite(seller, exhibitor, "b@example.test")
    with pytest.raises(ValidationError):
        _invite(seller, exhibitor, "c@example.test")
    assert len(mail.outbox) == 2


def test_invitation_mail_carries_no_inviter_text(seller):
    inviter = factories.make_member(seller, display_name="Bizweek Security Team: verify now")
    _invite(seller, inviter)
    assert "verify now" not in mail.outbox[-1].body
    assert "verify now" not in mail.outbox[-1].subject


def test_invitation_does_not_reveal_existing_accounts(client, seller, exhibitor, buyer):
    client.force_login(exhibitor)
    fresh = client.post(
        f"/companies/{seller.pk}/members/",
        {"email": "new@example.test", "display_name": "New", "language": "en"},
        follow=True,
    ).content.decode()
    taken = client.post(
        f"/companies/{seller.pk}/members/",
        {"email": buyer.email, "display_name": "Taken", "language": "en"},
        follow=True,
    ).content.decode()
    assert "already exists" not in taken
    assert "was invited" in fresh and "was invited" in taken
    buyer.refresh_from_db()
    assert buyer.company != seller  # nothing changed for the existing account
    assert [m.to for m in mail.outbox] == [["new@example.test"]]


def test_invited_address_that_never_accepted_can_still_register(client, seller, exhibitor, event):
    _invite(seller, exhibitor, "owner@example.test")
    response = client.post(
        "/register/",
        {
            "role": "buyer",
            "name_en": "Owner Trading",
            "country": "TH",
            "city": "Bangkok",
            "timezone": "Asia/Bangkok",
            "display_name": "Owner",
            "email": "owner@example.test",
            "language": "en",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    owner = User.objects.get(email="owner@example.test")
    assert owner.company.name_en == "Owner Trading"
    assert owner.check_password("a-long-passphrase-42")
