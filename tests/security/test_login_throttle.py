"""Finding 4: sign-in throttled by account and by client address; hashing bounded."""

import pytest
from django.test import Client
from django.urls import reverse

from bizweek.accounts.backends import hashing_slots
from tests import factories

pytestmark = pytest.mark.django_db


def _login(client, email, password, address="203.0.113.5"):
    return client.post(
        reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address
    )


def test_login_refuses_right_password_after_repeated_failures(client, exhibitor):
    for _attempt in range(5):
        assert _login(client, exhibitor.email, "wrong-guess").status_code == 200
    response = _login(client, exhibitor.email, factories.PASSWORD)
    assert response.status_code == 200  # not the redirect of a successful sign-in
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_throttle_per_account_spans_client_addresses(exhibitor):
    for number in range(5):
        _login(Client(), exhibitor.email, "wrong", address=f"198.51.100.{number}")
    response = _login(Client(), exhibitor.email, factories.PASSWORD, address="192.0.2.77")
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_login_throttle_per_address_spans_accounts(settings):
    settings.BIZWEEK_LOGIN_FAILURES_PER_ADDRESS = 4
    users = [factories.make_user() for _ in range(5)]
    for user in users[:4]:
        _login(Client(), user.email, "wrong", address="203.0.113.9")
    response = _login(Client(), users[4].email, factories.PASSWORD, address="203.0.113.9")
    assert "Too many failed sign-in attempts" in response.content.decode()
    # another address is not affected
    assert _login(Client(), users[4].email, factories.PASSWORD, "192.0.2.1").status_code == 302


def test_login_throttle_message_in_users_language(exhibitor):
    client = Client(HTTP_ACCEPT_LANGUAGE="ko")
    for _attempt in range(6):
        response = _login(client, exhibitor.email, "wrong")
    assert "로그인" in response.content.decode()
    assert "Too many failed sign-in attempts" not in response.content.decode()


def test_login_busy_when_every_hashing_slot_is_taken(client, settings, exhibitor):
    settings.BIZWEEK_HASH_WAIT_SECONDS = 0
    slots = hashing_slots()
    taken = 0
    while slots.acquire(blocking=False):
        taken += 1
    try:
        response = _login(client, exhibitor.email, factories.PASSWORD)
    finally:
        for _slot in range(taken):
            slots.release()
    assert "Please try again in a moment" in response.content.decode()
    assert _login(client, exhibitor.email, factories.PASSWORD).status_code == 302
