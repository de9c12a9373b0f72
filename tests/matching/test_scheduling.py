"""The organizer's scheduler: interpreter capacity per slot, from the solver to the draft."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from bizweek.accounts.models import Role
from bizweek.matching import scheduling
from bizweek.matching.models import MeetingDay, MeetingRequest, RequestState
from bizweek.matching.schedule import B2BInstance, check, solve
from tests import factories


def test_capacity_group_limits_meetings_per_slot_and_the_checker_sees_violations():
    # Three meetings with different people, all needing the one interpreter free in slot 1.
    instance = B2BInstance(
        n_business=6,
        meetings=[(1, 2, 3), (3, 4, 3), (5, 6, 3)],
        n_tables=10,
        n_slots=3,
        n_morning=3,
        max_breaks=3,
        capacity_groups=[([0, 1, 2], {1: 1, 2: 1, 3: 1})],
    )
    solution = solve(instance, time_limit=5)
    assert sorted(solution.slots) == [1, 2, 3]
    assert check(instance, solution.slots) == []
    problems = check(instance, [1, 1, 2])
    assert any("group 1" in problem for problem in problems)


@pytest.mark.django_db
def test_draft_respects_the_interpreters_free_in_each_slot():
    event = factories.make_event()
    day = MeetingDay.objects.create(
        event=event,
        date=(timezone.now() + timedelta(days=3)).date(),
        starts=time(11),
        ends=time(12),  # two slots
    )
    organizer = factories.make_organizer()
    factories.make_user(role=Role.INTERPRETER, languages="ko-zh")  # one interpreter
    for number in range(3):
        seller = factories.make_company(name_ko=f"판매{number}")
        buyer = factories.make_company(
            role="buyer", name_zh_hans=f"买家{number}", country="TH", timezone="Asia/Bangkok"
        )
        MeetingRequest.objects.create(
            event=event,
            from_company=buyer,
            to_company=seller,
            state=RequestState.ACCEPTED,
            organizer_schedules=True,
            needs_interpreter=True,
            languages="ko-zh",
        )
    run = scheduling.run(event, day, by=organizer, tables=10, time_limit=4)
    placed = list(run.drafts.filter(starts_at__isnull=False))
    assert len(placed) == 2  # one interpreter, two slots: the third cannot be placed
    assert len({d.starts_at for d in placed}) == 2
    unplaced = run.drafts.get(starts_at__isnull=True)
    assert "interpreter" in unplaced.reason or "full" in unplaced.reason


@pytest.mark.django_db
def test_auto_scheduler_forbids_slots_within_the_minimum_notice():
    """Run an hour before the day's first meeting: with 2 hours' notice, the first two
    30-minute slots are forbidden to everyone, so nothing is placed 25 minutes later."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    event = factories.make_event()
    day = MeetingDay.objects.create(
        event=event,
        date=(timezone.now() + timedelta(days=3)).date(),
        starts=time(11),
        ends=time(14),
    )
    first = datetime.combine(day.date, time(11), ZoneInfo(event.timezone))
    seller = factories.make_company(name_ko="판매")
    buyer = factories.make_company(role="buyer", country="KR", timezone="Asia/Seoul")
    MeetingRequest.objects.create(
        event=event,
        from_company=buyer,
        to_company=seller,
        state=RequestState.ACCEPTED,
        organizer_schedules=True,
    )
    pairs = scheduling.candidate_pairs(event)
    instance, slots, _order = scheduling.build_instance(
        event, day, pairs, tables=5, now=first - timedelta(hours=1)
    )
    assert slots[0] == first
    for participant in (1, 2):
        assert {1, 2} <= instance.forbidden[participant]
        assert 3 not in instance.forbidden[participant]
