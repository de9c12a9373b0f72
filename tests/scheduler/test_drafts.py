"""The organizer's scheduler: interpreter capacity per slot, from the solver to the draft."""

import io
from datetime import time, timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from bizweek.accounts.models import Role
from bizweek.core.tasks import run_pending_jobs
from bizweek.matching.models import (
    DraftMeeting,
    MeetingDay,
    MeetingRequest,
    RequestState,
    ScheduleRun,
)
from bizweek.meetings.models import Meeting
from bizweek.scheduler import drafts as scheduling
from bizweek.scheduler.cpsat import B2BInstance, check, solve
from bizweek.scheduler.models import JobState
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
    assert unplaced.reason_code in ("no_interpreter", "slots_full")
    assert "interpreter" in unplaced.reason_text or "full" in unplaced.reason_text


def _day_with_requests(pairs: int = 4, *, interpreters: int = 0, slots_end: int = 13):
    event = factories.make_event()
    day = MeetingDay.objects.create(
        event=event,
        date=(timezone.now() + timedelta(days=3)).date(),
        starts=time(9),
        ends=time(slots_end),
    )
    organizer = factories.make_organizer()
    for _ in range(interpreters):
        factories.make_user(role=Role.INTERPRETER, languages="ko-zh")
    sellers = [factories.make_company(name_ko=f"판매{n}") for n in range(pairs)]
    buyers = [
        factories.make_company(role="buyer", name_zh_hans=f"买家{n}", country="TH")
        for n in range(pairs)
    ]
    for n, seller in enumerate(sellers):
        for m, buyer in enumerate(buyers):
            if (n + m) % 2 == 0:
                MeetingRequest.objects.create(
                    event=event,
                    from_company=buyer,
                    to_company=seller,
                    state=RequestState.ACCEPTED,
                    organizer_schedules=True,
                    needs_interpreter=interpreters > 0 and m == 0,
                    languages="ko-zh" if interpreters and m == 0 else "",
                )
    return event, day, organizer


def _checked(event, day, run) -> list[str]:
    """The draft through the independent checker, in the solver's own terms."""
    pairs = scheduling.candidate_pairs(event)
    instance, slots, _order = scheduling.build_instance(event, day, pairs, run.tables)
    by_pair = {(d.seller_id, d.buyer_id): d.starts_at for d in run.drafts.all()}
    chosen = [by_pair[(p.seller.pk, p.buyer.pk)] for p in pairs]
    numbers = [None if moment is None else slots.index(moment) + 1 for moment in chosen]
    return check(instance, numbers, allow_unplaced=True)


@pytest.mark.django_db(transaction=True)
def test_draft_job_runs_in_the_background_and_leaves_a_checked_draft():
    event, day, organizer = _day_with_requests()
    job = scheduling.start_draft(event, day, by=organizer, tables=3, time_limit=4)
    assert job.state == JobState.QUEUED and job.run is None  # the request did not solve
    run_pending_jobs()
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.run is not None
    assert job.placed == job.total == 8
    assert _checked(event, day, job.run) == []


@pytest.mark.django_db(transaction=True)
def test_stopped_job_keeps_the_best_draft_so_far():
    event, day, organizer = _day_with_requests()
    job = scheduling.start_draft(event, day, by=organizer, tables=3, time_limit=60)
    scheduling.request_stop(job, by=organizer)
    run_pending_jobs()
    job.refresh_from_db()
    assert job.state == JobState.STOPPED
    assert job.run is not None and job.run.solver_status == "STOPPED"
    assert job.run.seconds < 60
    assert job.run.drafts.filter(starts_at__isnull=False).count() == 8
    assert [p for p in _checked(event, day, job.run) if "fairness" not in p] == []


@pytest.mark.django_db
def test_big_day_path_respects_interpreters_and_availability(monkeypatch):
    monkeypatch.setattr(scheduling, "LARGE_DAY", 0)  # this small day takes the big-day path
    event, day, organizer = _day_with_requests(pairs=6, interpreters=1, slots_end=13)
    seen = []
    run = scheduling.run(event, day, by=organizer, tables=3, time_limit=3, on_progress=seen.append)
    assert seen and seen[-1].total == run.drafts.count()
    assert _checked(event, day, run) == []
    assert run.drafts.filter(starts_at__isnull=False).count() == run.drafts.count()


@pytest.mark.django_db(transaction=True)
def test_progress_page_and_json_are_for_organizers_only(client):
    event, day, organizer = _day_with_requests()
    job = scheduling.start_draft(event, day, by=organizer, tables=3, time_limit=4)
    url = reverse("scheduler:job_progress", args=[job.pk])
    client.force_login(factories.make_user())
    assert client.get(url).status_code == 403
    assert (
        client.post(reverse("scheduler:job", args=[job.pk]), {"action": "stop"}).status_code == 403
    )
    client.force_login(organizer)
    data = client.get(url).json()
    assert data["state"] == "queued" and data["finished"] is False
    client.post(reverse("scheduler:job", args=[job.pk]), {"action": "stop"})
    run_pending_jobs()
    data = client.get(url).json()
    assert data["state"] == "stopped" and data["run_url"]


@pytest.mark.django_db
def test_schedule_command_shows_a_progress_bar():
    _day_with_requests()
    out = io.StringIO()
    call_command("schedule", "--time-limit", "2", "--tables", "3", stdout=out)
    text = out.getvalue()
    assert "placed ·" in text and "[#" in text and "s left" in text
    assert "draft run" in text


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


def _run_with_drafts():
    event = factories.make_event()
    day = MeetingDay.objects.create(
        event=event, date=(timezone.now() + timedelta(days=1)).date(), starts=time(9), ends=time(18)
    )
    organizer = factories.make_organizer()
    run = ScheduleRun.objects.create(event=event, day=day, created_by=organizer, tables=5)
    return event, organizer, run


@pytest.mark.django_db
def test_unplaced_reasons_are_shown_in_the_readers_language(client):
    _event, organizer, run = _run_with_drafts()
    seller = factories.make_company(name_ko="한빛", name_en="Hanbit")
    buyer = factories.make_company(role="buyer", name_zh_hans="买家")
    DraftMeeting.objects.create(
        run=run, seller=seller, buyer=buyer, reason_code="no_common_slot", reason_params={}
    )
    DraftMeeting.objects.create(
        run=run,
        seller=seller,
        buyer=buyer,
        reason_code="no_free_slot",
        reason_params={"name": "한빛", "side": "seller"},
    )
    DraftMeeting.objects.create(run=run, seller=seller, buyer=buyer, reason="Stored before codes")
    client.force_login(organizer)
    url = reverse("scheduler:schedule_run", args=[run.pk])
    for language, common, no_free in (
        ("ko", "이날 두 기업 모두 비어 있는 시간이 없습니다.", "한빛은(는) 이날 남은 빈 시간이"),
        ("en", "No slot of this day is free for both companies.", "Hanbit has no free slot left"),
    ):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        page = client.get(url).content.decode()
        assert common in page and no_free in page
        assert "Stored before codes" in page  # older drafts keep their text


@pytest.mark.django_db
def test_run_stores_a_reason_code_not_text_in_the_organizers_language():
    from django.utils import translation

    event, day, organizer = _day_with_requests(pairs=4, slots_end=10)  # two slots: not all fit
    with translation.override("ko"):
        run = scheduling.run(event, day, by=organizer, tables=1, time_limit=2)
    unplaced = list(run.drafts.filter(starts_at__isnull=True))
    assert unplaced
    assert all(d.reason_code and not d.reason for d in unplaced)
    with translation.override("zh-hans"):
        assert all(
            d.reason_text and d.reason_text.isascii() is False for d in unplaced
        )  # shown in Chinese to a Chinese reader


@pytest.mark.django_db
def test_publish_leaves_meetings_within_the_minimum_notice_unpublished(client):
    event, organizer, run = _run_with_drafts()
    event.min_notice_minutes = 120
    event.save(update_fields=["min_notice_minutes"])
    soon_seller, later_seller = factories.make_company(name_ko="곧"), factories.make_company()
    buyer = factories.make_company(role="buyer", country="TH", timezone="Asia/Bangkok")
    now = timezone.now().replace(second=0, microsecond=0)
    soon = DraftMeeting.objects.create(
        run=run, seller=soon_seller, buyer=buyer, starts_at=now + timedelta(minutes=30)
    )
    later = DraftMeeting.objects.create(
        run=run, seller=later_seller, buyer=buyer, starts_at=now + timedelta(hours=5)
    )
    client.force_login(organizer)
    url = reverse("scheduler:schedule_run", args=[run.pk])
    page = client.post(url, {"action": "publish"}, follow=True).content.decode()
    soon.refresh_from_db()
    later.refresh_from_db()
    assert later.published_meeting is not None
    assert soon.published_meeting is None
    assert Meeting.objects.filter(seller=soon_seller).count() == 0
    assert "minimum notice (120 minutes)" in page  # reported in the flash message
    assert 'id="unpublished"' in page  # and kept on the published schedule's page
