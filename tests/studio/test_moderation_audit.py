"""Moderation in a show lands in the organizers' audit log."""

from __future__ import annotations

from bizweek.audit.models import AuditEntry
from bizweek.studio import services as studio_services
from bizweek.studio.models import Restriction


def test_moderation_is_recorded_in_audit_log(show, host, buyer_member):
    studio_services.restrict(show, buyer_member.pk, Restriction.Kind.MUTE, by=host)
    entry = AuditEntry.objects.get(action="moderation")
    assert entry.actor == host
    assert entry.details == {"step": "mute", "user": buyer_member.email}
