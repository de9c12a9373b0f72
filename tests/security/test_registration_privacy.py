"""Registration does not reveal whether an address has an account (issue 14, finding 11), and a
new registration signs in only after confirming its address."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from bizweek.accounts.models import User
from bizweek.companies.models import Company
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-passphrase-42"


def _register(client, email: str, name: str = "Owner Trading", **extra: str):
    return client.post(
        reverse("companies:register"),
        {
            "role": "buyer",
            "name_en": name,
            "country": "TH",
            "city": "Bangkok",
            "timezone": "Asia/Bangkok",
            "display_name": "Owner",
            "email": email,
            "language": "en",
            "password1": PASSWORD,
            "password2": PASSWORD,
            **extra,
        },
    )


def _link(message) -> str:
    return re.search(r"/accounts/confirm/\S+/", message.body).group(0)


def test_registering_a_taken_address_answers_like_a_new_one_and_mails_the_owner(
    client, buyer, event
):
    fresh = _register(client, "someone-new@example.test", name="Fresh Trading")
    taken = _register(client, buyer.email.upper(), name="Squatter Trading")
    assert (fresh.status_code, fresh.url) == (taken.status_code, taken.url)
    assert fresh.url == reverse("companies:registered")
    assert "already" not in client.get(taken.url).content.decode()
    # Nothing changed for the owner: no company, no new password; a mail in their language.
    assert not Company.objects.filter(name_en="Squatter Trading").exists()
    buyer.refresh_from_db()
    assert buyer.check_password(factories.PASSWORD) and buyer.company.name_en != "Squatter Trading"
    owner_mail = [m for m in mail.outbox if m.to == [buyer.email]]
    assert len(owner_mail) == 1
    assert "/accounts/password_reset/" in owner_mail[0].body
    assert "/accounts/confirm/" not in owner_mail[0].body
    assert "注册" in owner_mail[0].subject  # the buyer reads Simplified Chinese


def test_new_registration_cannot_sign_in_before_confirming(client, event):
    _register(client, "new@example.test")
    user = User.objects.get(email="new@example.test")
    assert not user.is_active and user.awaiting_confirmation
    organizer = factories.make_organizer(email="review@example.test")
    client.force_login(organizer)
    queue = client.get(reverse("companies:review_queue")).content.decode()
    assert "Owner Trading" not in queue  # unconfirmed registrations do not reach organizers
    client.logout()

    mail.outbox.clear()
    answer = client.post(reverse("login"), {"username": "new@example.test", "password": PASSWORD})
    assert answer.status_code == 200
    assert "confirm your e-mail address first" in answer.content.decode()
    assert client.get(reverse("accounts:dashboard")).status_code == 302
    assert len(mail.outbox) == 1  # the link again, once per 10 minutes
    client.post(reverse("login"), {"username": "new@example.test", "password": PASSWORD})
    assert len(mail.outbox) == 1
    wrong = client.post(reverse("login"), {"username": "new@example.test", "password": "nope"})
    assert "confirm" not in wrong.content.decode()  # a wrong password learns nothing

    link = _link(mail.outbox[0])
    assert client.get(link).url == reverse("accounts:dashboard")
    assert "Owner Trading" in client.get(reverse("accounts:dashboard")).content.decode()
    client.logout()
    used = client.get(link)  # a link works once
    assert used.status_code == 200 and "already used" in used.content.decode()
    assert client.get(reverse("accounts:dashboard")).status_code == 302
    signed_in = client.post(
        reverse("login"), {"username": "new@example.test", "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    client.force_login(organizer)
    assert "Owner Trading" in client.get(reverse("companies:review_queue")).content.decode()


def test_unconfirmed_registration_is_replaced_by_a_new_one(client, event):
    _register(client, "twice@example.test", name="First Try")
    first_link = _link(mail.outbox[-1])
    _register(client, "twice@example.test", name="Second Try")
    assert not Company.objects.filter(name_en="First Try").exists()
    user = User.objects.get(email="twice@example.test")
    assert user.company.name_en == "Second Try" and user.awaiting_confirmation
    assert "already used" in client.get(first_link).content.decode()  # the old link is dead
    assert client.get(_link(mail.outbox[-1])).status_code == 302
