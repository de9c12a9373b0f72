"""Accounts for the contacts of imported companies, and their invitations.

An imported company without an account is a dead end: it ranks in search and recommendations
while requests to it reach nobody. So the import gives each contact e-mail a member account
(or attaches the existing account of that address when it belongs to no company), and the
organizer may invite them to set a password, in the company's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_tasks import task

from bizweek.accounts.models import Role, User
from bizweek.mail import send_templated_mail

from .models import Company
from .services import member_role, primary_name

# The language a company's people most likely read, from its country; English otherwise.
COUNTRY_LANGUAGE = {
    "KR": "ko",
    "CN": "zh-hans",
    "SG": "zh-hans",
    "TW": "zh-hant",
    "HK": "zh-hant",
    "MO": "zh-hant",
}


def company_language(company: Company) -> str:
    return COUNTRY_LANGUAGE.get(company.country, "en")


@dataclass
class ContactAccounts:
    created: list[User] = field(default_factory=list)
    attached: list[User] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # why an address got no account
    previous_roles: dict[int, str] = field(default_factory=dict)  # attached users, to undo

    def extend(self, other: ContactAccounts) -> None:
        """Add the accounts of another chunk of the same import."""
        self.created += other.created
        self.attached += other.attached
        self.skipped += other.skipped
        self.previous_roles.update(other.previous_roles)

    @property
    def users(self) -> list[User]:
        return [*self.created, *self.attached]


def provision_contacts(company_ids: Iterable[int]) -> ContactAccounts:
    """One member account per contact e-mail; never moves an account out of another company."""
    result = ContactAccounts()
    companies = Company.objects.filter(pk__in=list(company_ids)).exclude(contact_email="")
    emails = [c.contact_email.strip().lower() for c in companies]
    existing = {u.email.lower(): u for u in User.objects.filter(email__in=emails)}
    # Case differences in stored addresses: fall back to a case-insensitive lookup per miss.
    for company in companies:
        email = company.contact_email.strip()
        user = existing.get(email.lower())
        if user is None:
            user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email,
                password=None,
                display_name=(company.contact_name or primary_name(company))[:150],
                language=company_language(company),
                timezone=company.timezone,
                role=member_role(company.role),
                company=company,
            )
            existing[email.lower()] = user
            result.created.append(user)
        elif user.company_id == company.pk:
            continue
        elif user.company_id is None and user.role in (Role.VISITOR, member_role(company.role)):
            result.previous_roles[user.pk] = user.role
            user.company = company
            user.role = member_role(company.role)
            user.save(update_fields=["company", "role"])
            result.attached.append(user)
        else:
            result.skipped.append(
                _("%(email)s already belongs to another company or role; not attached to %(name)s.")
                % {"email": email, "name": primary_name(company)}
            )
    return result


def invitation_link(user: User) -> str:
    return reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


def send_invitation(user: User) -> bool:
    """The invitation mail, in the account's language (the company's, when it was created)."""
    from bizweek.events.services import current_event

    event = current_event()
    return send_templated_mail(
        user.email,
        "companies/email/import_invited",
        # Objects, not names: their names are read in the recipient's language when rendered.
        {"user": user, "company": user.company, "event": event, "link": invitation_link(user)},
        user.language,
    )


@task()
def send_invitations_task(user_ids: list[int]) -> int:
    """Background job: one mail per account, so an import of a thousand rows returns at once."""
    sent = 0
    for user in User.objects.filter(pk__in=user_ids, is_active=True).select_related("company"):
        sent += send_invitation(user)
    return sent


def invite(users: Iterable[User]) -> int:
    """Queue invitations once the current transaction commits (the import's, for one)."""
    ids = [user.pk for user in users]
    if ids:
        transaction.on_commit(lambda: send_invitations_task.enqueue(ids))
    return len(ids)


def not_signed_in() -> QuerySet[User]:
    """Company members who never signed in: the organizer's list to chase and re-invite."""
    return (
        User.objects.filter(company__isnull=False, last_login__isnull=True, is_active=True)
        .select_related("company")
        .order_by("company__name", "email")
    )


def signed_in_share() -> tuple[int, int]:
    members = User.objects.filter(company__isnull=False, is_active=True)
    return members.exclude(last_login__isnull=True).count(), members.count()
