"""Who may see which figures: organizers all of them, a company member its own company's."""

from __future__ import annotations

import rules


@rules.predicate
def is_organizer(user) -> bool:  # noqa: ANN001
    return bool(user and user.is_authenticated and getattr(user, "is_organizer", False))


@rules.predicate
def is_member(user, company) -> bool:  # noqa: ANN001
    return bool(
        company is not None
        and user
        and user.is_authenticated
        and user.company_id is not None
        and user.company_id == company.pk
    )


rules.add_perm("dashboard.view_all_figures", is_organizer)
rules.add_perm("dashboard.view_company_figures", is_member | is_organizer)
rules.add_perm("dashboard.change_nudges", is_organizer)
