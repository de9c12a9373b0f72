import re

import pytest
from django.core import mail
from django.urls import reverse

from bizweek.accounts.models import ApiToken
from tests import factories

pytestmark = pytest.mark.django_db


def test_login_with_email_and_logout(client, exhibitor):
    response = client.post(
        reverse("login"), {"username": exhibitor.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts:dashboard")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("accounts:dashboard")).status_code == 302


def test_wrong_password_is_refused_with_a_message(client, exhibitor):
    response = client.post(reverse("login"), {"username": exhibitor.email, "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def test_password_reset_sends_a_link_that_sets_a_new_password(client, exhibitor):
    client.post(reverse("password_reset"), {"email": exhibitor.email})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    new_password = "another-long-passphrase-7"
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    exhibitor.refresh_from_db()
    assert exhibitor.check_password(new_password)


def test_profile_edit_saves_language_and_time_zone(client, exhibitor):
    client.force_login(exhibitor)
    client.post(
        reverse("accounts:profile"),
        {"display_name": "Kim", "phone": "", "language": "zh-hant", "timezone": "Asia/Taipei"},
    )
    exhibitor.refresh_from_db()
    assert (exhibitor.language, exhibitor.timezone) == ("zh-hant", "Asia/Taipei")
    assert '<html lang="zh-hant">' in client.get(reverse("home")).content.decode()


def test_profile_rejects_unknown_time_zone(client, exhibitor):
    client.force_login(exhibitor)
    response = client.post(
        reverse("accounts:profile"),
        {"display_name": "Kim", "language": "en", "timezone": "Mars/Base"},
    )
    assert "timezone" in response.context["form"].errors
    exhibitor.refresh_from_db()
    assert exhibitor.timezone == "Asia/Seoul"


def test_api_token_is_shown_once_stored_hashed_and_revocable(client, exhibitor):
    client.force_login(exhibitor)
    response = client.post(reverse("accounts:create_token"), {"name": "CRM"})
    raw = re.search(r'<code id="new-token">(bzw_[^<]+)</code>', response.content.decode()).group(1)
    token = ApiToken.objects.get(user=exhibitor)
    assert token.digest == ApiToken.hash(raw) and raw not in token.digest
    client.logout()
    me = client.get("/api/v1/companies", headers={"Authorization": f"Bearer {raw}"})
    assert me.status_code == 200
    client.force_login(exhibitor)
    client.post(reverse("accounts:revoke_token", args=[token.pk]))
    client.logout()
    assert (
        client.get("/api/v1/companies", headers={"Authorization": f"Bearer {raw}"}).status_code
        == 401
    )


def test_cannot_revoke_someone_elses_token(client, exhibitor, buyer):
    token, _raw = ApiToken.issue(buyer, "theirs")
    client.force_login(exhibitor)
    client.post(reverse("accounts:revoke_token", args=[token.pk]))
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_time_zone_choices_are_named_in_the_readers_language(client, exhibitor):
    exhibitor.language = "ko"
    exhibitor.save(update_fields=["language"])
    client.force_login(exhibitor)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert re.search(r'<option value="Asia/Seoul" selected>서울 \(UTC\+09:00\)</option>', page)
    assert ">Asia/Seoul (" not in page
    response = client.post(
        reverse("accounts:profile"),
        {"display_name": "Kim", "phone": "", "language": "ko", "timezone": "Asia/Bangkok"},
    )
    assert response.status_code == 302
    exhibitor.refresh_from_db()
    assert exhibitor.timezone == "Asia/Bangkok"  # the stored value stays the IANA name


def test_company_form_time_zones_in_chinese_keep_iana_values():
    from django.utils import translation

    from bizweek.companies.forms import CompanyForm, RegistrationForm

    with translation.override("zh-hans"):
        for form in (CompanyForm(), RegistrationForm()):
            choices = dict(form.fields["timezone"].choices)
            assert choices["Asia/Bangkok"] == "曼谷 (UTC+07:00)"
    with translation.override("en"):
        assert dict(CompanyForm().fields["timezone"].choices)["Asia/Seoul"] == "Seoul (UTC+09:00)"
