"""`{% meeting_talk meeting %}`: moving a meeting and its message thread, on the meeting page
(which the meetings app owns) without that app's view knowing about either."""

from __future__ import annotations

from django import template
from django.utils import timezone

from bizweek.matching import services

register = template.Library()


def _by_day(slots: list) -> list:
    from itertools import groupby

    tz = timezone.get_current_timezone()
    return [(day, list(g)) for day, g in groupby(slots, key=lambda s: s.astimezone(tz).date())]


@register.inclusion_tag("matching/_meeting_talk.html", takes_context=True)
def meeting_talk(context: template.Context, meeting) -> dict:  # noqa: ANN001
    user = context["user"]
    in_meeting = user.company_id in (meeting.seller_id, meeting.buyer_id)
    other = meeting.buyer if user.company_id == meeting.seller_id else meeting.seller
    proposal = services.open_move(meeting)
    can_move = in_meeting and meeting.state == "scheduled" and meeting.starts_at > timezone.now()
    return {
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "user": user,
        "meeting": meeting,
        "other": other,
        "proposal": proposal,
        "proposal_times": services.move_times(proposal) if proposal else [],
        "my_proposal": proposal is not None and proposal.proposed_by_id == user.company_id,
        "can_move": can_move,
        "move_days": _by_day(services.move_candidates(meeting)) if can_move else [],
        "limit": services.MAX_PROPOSED_SLOTS,
        "messages_thread": services.thread(meeting=meeting),
        "can_write": in_meeting or user.is_organizer,
    }
