"""Who may read the audit log."""

from __future__ import annotations

import rules


@rules.predicate
def is_organizer(user) -> bool:  # noqa: ANN001
    return bool(user and user.is_authenticated and getattr(user, "is_organizer", False))


rules.add_perm("audit.view_log", is_organizer)
