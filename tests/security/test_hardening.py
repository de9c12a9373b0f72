"""Finding 11: CSP on every page, tokens end on password change and can expire, no-store on
personal pages, 403 logged in one line."""

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from bizweek.accounts.models import ApiToken

pytestmark = pytest.mark.django_db

TEMPLATE_DIRS = [Path(settings.BASE_DIR)]


def _bearer(raw):
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.parametrize(
    "url", ["/", "/hall/", "/accounts/login/", "/api/v1/docs", "/admin/login/"]
)
def test_every_page_has_a_content_security_policy_without_inline_script(client, url):
    response = client.get(url)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "frame-ancestors 'none'" in policy


def test_templates_hold_no_inline_script_or_event_handler_attributes():
    import re

    offenders = []
    for path in Path(settings.BASE_DIR).rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(r"<script(?![^>]*\bsrc=)(?![^>]*application/(ld\+)?json)", text):
            offenders.append(f"{path}: inline <script> at {match.start()}")
        if re.search(r"\son[a-z]+=\"", text) or "javascript:" in text:
            offenders.append(f"{path}: on*= handler or javascript: URL")
    assert not offenders, "\n".join(offenders)


def test_password_change_ends_api_tokens(client, exhibitor):
    _token, raw = ApiToken.issue(exhibitor, "script")
    assert client.get("/api/v1/meetings", headers=_bearer(raw)).status_code == 200
    exhibitor.set_password("a-brand-new-passphrase-1")
    exhibitor.save()
    assert client.get("/api/v1/meetings", headers=_bearer(raw)).status_code == 401


def test_expired_api_token_is_refused(client, exhibitor):
    _token, raw = ApiToken.issue(exhibitor, "old", expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/meetings", headers=_bearer(raw)).status_code == 401


def test_token_form_sets_an_expiry(client, exhibitor):
    client.force_login(exhibitor)
    client.post(reverse("accounts:create_token"), {"name": "crm", "expires_in": "30"})
    token = exhibitor.api_tokens.get()
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)


def test_pages_for_a_signed_in_user_are_not_stored(client, exhibitor):
    client.force_login(exhibitor)
    response = client.post(reverse("accounts:create_token"), {"name": "crm", "expires_in": "0"})
    assert "no-store" in response["Cache-Control"]
    assert "no-store" in client.get(reverse("accounts:profile"))["Cache-Control"]


def test_forbidden_is_logged_in_one_line(client, caplog, buyer, seller):
    client.force_login(buyer)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(reverse("companies:edit", args=[seller.pk]))
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and records[0].exc_info is None
    line = records[0].getMessage()
    assert "\n" not in line and f"/companies/{seller.pk}/edit/" in line
    assert f"user {buyer.pk}" in line
