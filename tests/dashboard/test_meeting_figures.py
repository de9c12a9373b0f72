"""The per-meeting figure rows the database keeps (migration 0004) always equal what the join
of meetings, outcomes, both logs and buyers gives now, whatever wrote the data."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q

from bizweek.dashboard import consultations
from bizweek.dashboard.models import MeetingFigures
from bizweek.meetings.models import (
    ConsultationLog,
    Meeting,
    MeetingOutcome,
    MeetingState,
    Outcome,
)
from tests import factories

from .conftest import at, make_meeting

KEPT = sorted((consultations.SUMMED - {"scheduled"}) | consultations.MONEY_KEYS)


def live() -> dict[int, dict]:
    """Each meeting's figures from the join, the way `aggregates` sums them, in cents."""
    rows = (
        consultations.with_logs(Meeting.objects.all())
        .values("pk", "event_id", "starts_at", "state", "seller_id", "buyer_id", "buyer__country")
        .annotate(
            interpreted=Count("pk", filter=Q(needs_interpreter=True)),
            **consultations.aggregates(),
        )
        .order_by("pk")
    )
    out = {}
    for row in rows:
        figures = {name: row[name] for name in KEPT}
        for name in consultations.MONEY_KEYS:
            figures[name] = int(consultations.money(row[name]) * 100)
        key = (row["event_id"], row["starts_at"], row["state"], row["seller_id"], row["buyer_id"])
        out[row["pk"]] = {"key": key, "country": row["buyer__country"], **figures}
    return out


def kept() -> dict[int, dict]:
    out = {}
    for row in MeetingFigures.objects.values().order_by("meeting_id"):
        key = (row["event_id"], row["starts_at"], row["state"], row["seller_id"], row["buyer_id"])
        out[row["meeting_id"]] = {
            "key": key,
            "country": row["buyer_country"],
            **{name: row[name] for name in KEPT},
        }
    return out


def test_rows_follow_every_kind_of_write(week):
    assert kept() == live()
    m1, m2, m3, m4, m5 = week.meetings
    assert kept()[m1.pk]["consultation_confirmed"] == 100_000_00
    assert kept()[m2.pk]["consultation_one_sided"] == 9_800_00
    # A log written by `update()` (no save, no signal), then by `bulk_create`.
    ConsultationLog.objects.filter(meeting=m2).update(consultation_usd=Decimal("1234.56"))
    ConsultationLog.objects.bulk_create(
        [
            ConsultationLog(
                meeting=m4, company=week.s2, consultation_usd=Decimal("10.01"), mou_signed=True
            ),
            ConsultationLog(meeting=m5, company=week.b1, signed_contract_usd=Decimal("0.07")),
        ]
    )
    assert kept()[m2.pk]["consultation_one_sided"] == 1234_56
    assert kept()[m4.pk]["mou_one_sided"] == 1
    assert kept() == live()
    # Confirmation flags set in bulk, an outcome changed, added and removed.
    ConsultationLog.objects.filter(meeting=m1, company=week.s1).update(
        expected_contract_confirmed=True
    )
    MeetingOutcome.objects.filter(meeting=m4).update(outcome=Outcome.HELD)
    MeetingOutcome.objects.create(meeting=m5, outcome=Outcome.NO_SHOW_BOTH)
    MeetingOutcome.objects.filter(meeting=m1).delete()
    assert kept()[m1.pk]["held"] == 0
    assert kept()[m5.pk]["no_show"] == 1
    assert kept() == live()
    # A meeting cancelled in bulk, moved, its buyer moving country; a log moved to another
    # meeting; a log and a meeting deleted.
    Meeting.objects.filter(pk=m4.pk).update(state=MeetingState.CANCELLED)
    Meeting.objects.filter(pk=m5.pk).update(starts_at=at(5, 11))
    week.b1.country = "VN"
    week.b1.save()
    ConsultationLog.objects.filter(meeting=m5).update(meeting=m3)
    ConsultationLog.objects.filter(meeting=m1, company=week.b1).delete()
    m2.delete()
    assert m2.pk not in kept()
    assert kept()[m3.pk]["logged"] == 1 and kept()[m5.pk]["logged"] == 0
    assert {row["country"] for row in kept().values() if row["key"][4] == week.b1.pk} == {"VN"}
    assert kept() == live()
    # New meetings, one by one and in bulk, and a buyer deleted with its meetings.
    other = factories.make_company(role="buyer", country="MY", timezone="Asia/Kuala_Lumpur")
    make_meeting(week.event, week.s1, other, at(5, 16), needs_interpreter=True)
    Meeting.objects.bulk_create(
        [
            Meeting(
                event=week.event,
                seller=week.s2,
                buyer=other,
                starts_at=at(6, hour),
                ends_at=at(6, hour + 1),
            )
            for hour in (9, 10)
        ]
    )
    assert sum(1 for row in kept().values() if row["country"] == "MY") == 3
    assert kept() == live()
    other.delete()
    assert kept() == live()
    assert len(kept()) == Meeting.objects.count()
