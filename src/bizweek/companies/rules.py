"""Who may do what with a company: named predicates, checked through user.has_perm()."""

from __future__ import annotations

import rules


@rules.predicate
def is_organizer(user) -> bool:  # noqa: ANN001
    return bool(user and user.is_authenticated and user.is_organizer)


@rules.predicate
def is_member(user, company) -> bool:  # noqa: ANN001
    return bool(
        company is not None
        and user
        and user.is_authenticated
        and user.company_id is not None
        and user.company_id == company.pk
    )


@rules.predicate
def is_approved(user, company) -> bool:  # noqa: ANN001
    return company is not None and company.is_approved


@rules.predicate
def in_approved_company(user) -> bool:  # noqa: ANN001
    """A member of an approved company: a vetted participant of the event."""
    company = getattr(user, "company", None) if user and user.is_authenticated else None
    return bool(company is not None and company.is_approved)


rules.add_perm("companies.view_company", is_approved | is_member | is_organizer)
rules.add_perm("companies.change_company", is_member | is_organizer)
rules.add_perm("companies.review_company", is_organizer)
rules.add_perm("companies.import_companies", is_organizer)
rules.add_perm("companies.add_member", is_member | is_organizer)
# Contact person, e-mail and phone: vetted participants and organizers, not every account
# (registering gives an account while the company is still pending).
rules.add_perm("companies.view_contacts", in_approved_company | is_member | is_organizer)
