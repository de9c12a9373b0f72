"""Who may watch, chat, run and moderate a show, and see its figures."""

from __future__ import annotations

import rules

from bizweek.companies.rules import is_organizer


@rules.predicate
def is_session_host(user, session) -> bool:  # noqa: ANN001
    return bool(
        session is not None
        and user
        and user.is_authenticated
        and session.host_id is not None
        and session.host_id == user.pk
    )


@rules.predicate
def is_featured_member(user, session) -> bool:  # noqa: ANN001
    """A member of a company in the show's rundown (sees the figures of its own part)."""
    if session is None or not (user and user.is_authenticated and user.company_id):
        return False
    return session.rundown.filter(company_id=user.company_id).exists()


@rules.predicate
def has_account(user) -> bool:  # noqa: ANN001
    return bool(user and user.is_authenticated)


rules.add_perm("studio.run_session", is_session_host | is_organizer)
rules.add_perm("studio.moderate_session", is_session_host | is_organizer)
rules.add_perm("studio.view_session_figures", is_session_host | is_organizer | is_featured_member)
rules.add_perm("studio.view_all_figures", is_session_host | is_organizer)
rules.add_perm("studio.schedule_sessions", is_organizer)
rules.add_perm("studio.chat", has_account)
