"""The big-day scheduler: a break-aware start improved by annealing and CP-SAT neighbourhoods.

Every schedule it returns goes through the independent checker of problem.py (availability,
sessions, tables, interpreters, double booking, fairness) here as well.
"""

from __future__ import annotations

import random

from bizweek.scheduler.cpsat import solve
from bizweek.scheduler.greedy_start import greedy
from bizweek.scheduler.neighbourhood import (
    _State,
    anneal,
    compact_start,
    fairness_caps,
    improve,
    lower_bound,
    over_cap,
    participant_lower_bound,
    repair,
)
from bizweek.scheduler.problem import B2BInstance, check


def hubs_day(hubs: int = 12, seed: int = 3) -> B2BInstance:
    """Hubs of five participants: one meets the other four and is away in slot 3 of 6, so it
    cannot meet four times in a row: its best day has exactly one break; the others meet
    once and have none. The optimum is therefore `hubs` breaks, and it is reachable."""
    rng = random.Random(seed)  # noqa: S311
    meetings, forbidden = [], {}
    for h in range(hubs):
        centre = 5 * h + 1
        forbidden[centre] = {3}
        meetings += [(centre, centre + k, 3) for k in range(1, 5)]
    rng.shuffle(meetings)
    return B2BInstance(
        n_business=5 * hubs,
        meetings=meetings,
        n_tables=2 * hubs,
        n_slots=6,
        n_morning=3,
        forbidden=forbidden,
    )


def random_day(companies: int = 120, meetings: int = 500, seed: int = 7) -> B2BInstance:
    """A small version of bench/schedule.py's synthetic day, without unavailability."""
    rng = random.Random(seed)  # noqa: S311
    pairs: set[tuple[int, int]] = set()
    degree = [0] * (companies + 1)
    while len(pairs) < meetings:
        a, b = rng.sample(range(1, companies + 1), 2)
        if (min(a, b), max(a, b)) in pairs or degree[a] >= 12 or degree[b] >= 12:
            continue
        pairs.add((min(a, b), max(a, b)))
        degree[a] += 1
        degree[b] += 1
    return B2BInstance(
        n_business=companies + 1,  # the last participant has no meeting: fairness is a cap
        meetings=[(a, b, 3) for a, b in sorted(pairs)],
        n_tables=25,
        n_slots=24,
        n_morning=12,
    )


def test_known_optimum_of_a_small_day_is_reached_and_proven_by_the_bound():
    day = hubs_day()
    assert lower_bound(day) == 12
    assert solve(day, time_limit=20).breaks == 12  # the whole-day CP-SAT model agrees
    solution = improve(day, time_limit=20)
    assert check(day, solution.slots) == []
    assert solution.breaks == 12
    assert solution.bound == 12
    assert solution.optimal and solution.status == "OPTIMAL"


def test_random_day_is_placed_fair_and_far_better_than_first_fit():
    day = random_day()
    first_fit = greedy(day, restarts=1)
    solution = improve(day, time_limit=8)
    assert check(day, solution.slots) == []  # every meeting placed, and fair
    assert over_cap(day, solution.slots) == 0
    assert solution.breaks * 2 <= first_fit.breaks
    assert solution.bound is not None and solution.bound <= solution.breaks


def test_stopped_run_keeps_its_best_schedule_so_far():
    day = random_day(seed=11)
    asked = []

    def stop_now() -> bool:
        asked.append(True)
        return True

    solution = improve(day, time_limit=30, should_stop=stop_now)
    assert asked and solution.status == "STOPPED"
    assert solution.seconds < 30
    hard = [p for p in check(day, solution.slots) if not p.startswith("fairness")]
    assert hard == []  # all placed and valid, even though the search stopped at once


def test_progress_reports_placed_breaks_bound_and_time_left():
    day = random_day(seed=5)
    seen = []
    improve(day, time_limit=3, on_progress=seen.append, report_every=0.2)
    assert seen[0].placed == len(day.meetings) and seen[0].total == len(day.meetings)
    assert seen[0].greedy_breaks >= seen[-1].breaks
    assert seen[-1].bound is not None and seen[-1].time_left <= seen[0].time_left


def test_interpreters_and_unavailability_are_respected():
    day = random_day(seed=9)
    rng = random.Random(1)  # noqa: S311
    day.forbidden = {p: set(rng.sample(range(1, 25), 3)) for p in range(1, 60)}
    needing = list(range(0, len(day.meetings), 5))
    day.capacity_groups = [(needing, dict.fromkeys(range(1, 25), 5))]  # 120 for 100
    solution = improve(day, time_limit=6)
    hard = [p for p in check(day, solution.slots, allow_unplaced=True) if "fairness" not in p]
    assert hard == []
    assert solution.placed == len(day.meetings)


def test_fairness_cap_rises_only_for_breaks_a_company_own_availability_forces():
    # Participant 1 has four meetings but is free only in slots 1, 3, 5 and 6: at least two
    # breaks whatever anyone else does, so its cap is 2 + 0 = max(2, 2); with slot 4 free too
    # it could do better.
    day = B2BInstance(
        n_business=6,
        meetings=[(1, k, 3) for k in range(2, 6)],
        n_tables=5,
        n_slots=6,
        n_morning=3,
        forbidden={1: {2, 4}},
        max_breaks=1,
    )
    allowed = [day.allowed_slots(i) for i in range(len(day.meetings))]
    assert participant_lower_bound(day, allowed, 1, [0, 1, 2, 3]) == 2
    caps = fairness_caps(day, allowed)
    assert caps is not None and caps[1] == 2 and caps[2] == 1


def boxed_in_day() -> tuple[B2BInstance, list[int | None]]:
    """Company 1 meets 2, 3, 4 and 5; each of them also meets two others, in slots 2 and 5.
    With those fixed, company 1 can only use slots 1, 3, 4 and 6: two breaks, over its cap
    of one. Moving its own meetings cannot help; moving its partners' other meetings can."""
    meetings = [(1, k, 3) for k in range(2, 6)]
    slots: list[int | None] = [1, 3, 4, 6]
    other = 6
    for k in range(2, 6):
        meetings += [(k, other, 3), (k, other + 1, 3)]
        slots += [2, 5]
        other += 2
    day = B2BInstance(
        n_business=other - 1, meetings=meetings, n_tables=6, n_slots=6, n_morning=3, max_breaks=1
    )
    return day, slots


def test_repair_brings_a_company_boxed_in_by_its_partners_within_its_cap():
    day, start = boxed_in_day()
    assert over_cap(day, start) == 1
    assert any(p.startswith("fairness") for p in check(day, start))
    slots, reasons = repair(day, start, time_limit=10)
    assert reasons == {}
    assert over_cap(day, slots) == 0
    assert check(day, slots) == []  # all placed, hard rules and fairness


def test_repair_says_why_a_cap_cannot_be_reached():
    # Partners 2 and 3 are free only in slots 1 and 7, partner 4 only in slot 4: whatever
    # anyone does, company 1 meets in 1, 4 and 7 and has two breaks, over the cap of one
    # (its own free slots alone would allow none, so the cap stays one).
    day = B2BInstance(
        n_business=6,
        meetings=[(1, k, 3) for k in range(2, 6)],
        n_tables=5,
        n_slots=7,
        n_morning=3,
        forbidden={2: {2, 3, 4, 5, 6}, 3: {2, 3, 4, 5, 6}, 4: {1, 2, 3, 5, 6, 7}, 5: {1, 7}},
        max_breaks=1,
    )
    start: list[int | None] = [1, 7, 4, 2]
    assert check(day, start, fairness=False) == [] and over_cap(day, start) == 1
    slots, reasons = repair(day, start, time_limit=5)
    assert slots == start
    assert reasons == {1: "own meetings"}


def test_start_keeps_a_company_without_slack_in_its_longest_free_runs():
    # Company 1 meets nine others, each once, in 12 slots; it is away in slots 2 and 9, so
    # its free runs are 1, 3-8 and 10-12. Within its cap of one break it must fill exactly
    # 3-8 and 10-12: a meeting in slot 1 (the first free slot, where a break-aware greedy
    # starts) already costs it the cap.
    day = B2BInstance(
        n_business=10,
        meetings=[(1, k, 3) for k in range(2, 11)],
        n_tables=9,
        n_slots=12,
        n_morning=6,
        forbidden={1: {2, 9}},
        max_breaks=1,
    )
    allowed = [day.allowed_slots(i) for i in range(len(day.meetings))]
    caps = fairness_caps(day, allowed)
    assert caps is not None and caps[1] == 1
    slots = compact_start(day, allowed, caps)
    assert sorted(slots) == [3, 4, 5, 6, 7, 8, 10, 11, 12]
    assert check(day, slots) == []  # placed, and within every cap


def test_late_annealing_never_pushes_a_company_over_its_cap():
    # Hot and with a tiny price on the cap, annealing trades caps for breaks (the control
    # below); with `keep_caps`, as in the rounds after the repair, nobody within its cap
    # ends above it.
    day = random_day(seed=13)
    allowed = [day.allowed_slots(i) for i in range(len(day.meetings))]
    caps = fairness_caps(day, allowed)
    assert caps is not None
    start = compact_start(day, allowed, caps)

    def pushed_over(keep_caps: bool) -> set[int]:
        state = _State(day, allowed, list(start), caps)
        within = {p for p in state.mine if not state.over(p)}
        anneal(state, 0.5, random.Random(2), t_start=3, t_end=3, w_over=1, keep_caps=keep_caps)  # noqa: S311
        assert check(day, state.slots, fairness=False) == []  # every hard rule still holds
        return {p for p in within if state.over(p)}

    assert pushed_over(keep_caps=False)  # the temptation is real
    assert pushed_over(keep_caps=True) == set()
