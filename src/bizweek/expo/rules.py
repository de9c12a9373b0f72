"""Who may see and change a booth, its products and its visitor figures."""

from __future__ import annotations

import rules

from bizweek.companies.rules import is_member, is_organizer


@rules.predicate
def booth_is_public(user, company) -> bool:  # noqa: ANN001
    if company is None or not company.is_approved:
        return False
    booth = getattr(company, "booth", None)
    return booth is None or booth.is_published


rules.add_perm("expo.view_booth", booth_is_public | is_member | is_organizer)
rules.add_perm("expo.change_booth", is_member | is_organizer)
rules.add_perm("expo.view_booth_stats", is_member | is_organizer)
rules.add_perm("expo.feature_booth", is_organizer)
rules.add_perm("expo.view_all_stats", is_organizer)
