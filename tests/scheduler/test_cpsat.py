"""The B2B meeting scheduler: parser, independent checker, greedy, CP-SAT model, CLI.

Plain pytest without a database. The real instances come from bench/data/b2b/ (Bofill et
al., JAIR 2022); the solver tests use the small ones that reach the published optimum in
a few seconds on a 2-core machine.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bizweek.scheduler.cpsat import (
    B2BInstance,
    check,
    count_breaks,
    greedy,
    parse_dzn,
    solve,
)

DATA = Path(__file__).resolve().parents[2] / "bench" / "data" / "b2b"

SMALL_DZN = """\
% a toy instance in the published layout
nBusiness = 4;
nMeetings = 3;
nTables = 2;
nTotalSlots = 4;
nMorningSlots = 2;

requested = [|1, 2,1,
|1, 3,3,
|4, 2,2,
|];

meetingsxBusiness = [{1,2,3},
{1,2,4},
{1,3},
{1,4}];

nMeetingsBusiness = [2,2,1,1];

forbidden = [{0},
{0,4},
{0},
{1, 2}];

fixed = [0,0,0];

precedences = [{},
{},
{}];
"""


def load(name: str) -> B2BInstance:
    return parse_dzn((DATA / f"{name}.original.dzn").read_text(encoding="utf-8"), name=name)


# --- parser --------------------------------------------------------------------------------


def test_parse_small_instance():
    inst = parse_dzn(SMALL_DZN, name="toy")
    assert inst.name == "toy"
    assert (inst.n_business, inst.n_tables, inst.n_slots, inst.n_morning) == (4, 2, 4, 2)
    assert inst.meetings == [(1, 2, 1), (1, 3, 3), (4, 2, 2)]
    assert inst.forbidden == {2: {4}, 4: {1, 2}}  # {0} is padding, not a slot
    assert inst.fixed == {}
    assert inst.participant_meetings() == {1: [0, 1], 2: [0, 2], 3: [1], 4: [2]}
    assert inst.allowed_slots(0) == [1, 2]
    assert inst.allowed_slots(2) == [3]  # afternoon, and participant 2 cannot do slot 4


def test_parse_real_instance_cross_checks():
    inst = load("tic-12")
    assert inst.n_business == 42
    assert len(inst.meetings) == 125
    assert (inst.n_tables, inst.n_slots, inst.n_morning) == (21, 8, 8)
    counts = {p: len(ms) for p, ms in inst.participant_meetings().items()}
    assert counts[1] == 8
    assert counts[37] == 0


def test_parse_rejects_inconsistent_counts():
    bad = SMALL_DZN.replace("nMeetingsBusiness = [2,2,1,1];", "nMeetingsBusiness = [2,2,2,1];")
    with pytest.raises(ValueError, match="participant 3"):
        parse_dzn(bad)


def test_parse_rejects_garbage():
    with pytest.raises(ValueError, match="nBusiness"):
        parse_dzn("hello")
    with pytest.raises(ValueError, match="requested"):
        parse_dzn(SMALL_DZN.replace("|4, 2,2,", "|4, 2,"))


def test_parse_fixed_meetings():
    inst = parse_dzn(SMALL_DZN.replace("fixed = [0,0,0];", "fixed = [0,3,0];"))
    assert inst.fixed == {1: 3}
    assert inst.allowed_slots(1) == [3]


# --- the independent checker ---------------------------------------------------------------


def toy() -> B2BInstance:
    """6 participants, 4 slots (2 morning), 2 tables, participant 5 cannot do slot 1."""
    return B2BInstance(
        n_business=6,
        meetings=[(1, 2, 3), (1, 3, 3), (2, 3, 1), (4, 5, 2), (1, 4, 3), (3, 6, 3)],
        n_tables=2,
        n_slots=4,
        n_morning=2,
        forbidden={5: {1}},
        max_breaks=1,
    )


GOOD = [1, 3, 2, 3, 2, 4]


def test_check_accepts_a_good_schedule():
    inst = toy()
    assert check(inst, GOOD) == []
    assert count_breaks(inst, GOOD) == dict.fromkeys(range(1, 7), 0)
    assert count_breaks(inst, [4, 3, 2, 4, 2, 4])[2] == 1


@pytest.mark.parametrize(
    ("slots", "needle"),
    [
        ([1, 1, 2, 3, 2, 4], "participant 1: double booked in slot 1 (meetings 1, 2)"),
        ([4, 3, 2, 4, 2, 4], "slot 4: 3 meetings for 2 tables"),
        ([1, 3, 3, 3, 2, 4], "meeting 3 (2-3): morning meeting in afternoon slot 3"),
        ([1, 3, 2, 1, 2, 4], "meeting 4 (4-5): afternoon meeting in morning slot 1"),
        ([1, 3, 2, 3, 2, 5], "meeting 6 (3-6): slot 5 out of range 1..4"),
        ([1, 3, 2, 3, 2, 0], "out of range"),
        ([1, 3, 2, 3, 2, None], "meeting 6 (3-6): not placed"),
    ],
)
def test_check_catches_each_violation(slots, needle):
    problems = check(toy(), slots)
    assert any(needle in p for p in problems), problems


def test_check_catches_forbidden_slot():
    inst = toy()
    inst.meetings[3] = (4, 5, 3)
    assert check(inst, [1, 3, 2, 1, 2, 4]) == [
        "meeting 4 (4-5): slot 1 is forbidden for participant 5"
    ]


def test_check_catches_unfairness():
    inst = toy()
    slots = [1, 3, 2, 3, 4, 4]  # participant 1 meets in slots 1, 3 and 4: one break
    assert check(inst, slots) == []
    inst.max_breaks = 0
    assert check(inst, slots) == [
        "fairness: participant 1 has 1 breaks, the least is 0 (allowed difference 0)"
    ]


def test_check_catches_moved_fixed_meeting():
    inst = toy()
    inst.fixed = {0: 2}
    assert check(inst, GOOD) == ["meeting 1 (1-2): fixed at slot 2 but placed in 1"]


def test_check_allows_unplaced_when_asked():
    assert check(toy(), [1, 3, 2, 3, 2, None], allow_unplaced=True) == []


def test_check_wrong_length():
    assert check(toy(), [1, 2]) == ["2 slots given for 6 meetings"]


# --- greedy ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tic-12", "tic-13crafc", "forumt-14crafe", "forum-13crafb"])
def test_greedy_places_everything_within_hard_rules(name):
    inst = load(name)
    sol = greedy(inst, restarts=5)
    assert sol.placed == len(inst.meetings)
    # Greedy ignores breaks, so only the fairness rule may be broken.
    assert all(p.startswith("fairness") for p in check(inst, sol.slots))


def test_greedy_on_toy_is_feasible():
    inst = toy()
    sol = greedy(inst)
    hard = [p for p in check(inst, sol.slots) if not p.startswith("fairness")]
    assert hard == []
    assert sol.breaks == sum(count_breaks(inst, sol.slots).values())


# --- the solver ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "optimum"),
    [("tic-12", 0), ("tic-12crafc", 0), ("tic-13", 0), ("forumt-14crafd", 4)],
)
def test_solver_reaches_published_optimum(name, optimum):
    inst = load(name)
    sol = solve(inst, time_limit=30, workers=2)
    assert check(inst, sol.slots) == []
    assert sol.breaks == optimum
    assert sol.optimal
    assert sol.status == "OPTIMAL"


def test_solver_proves_a_packed_day_through_the_run_model():
    """tic-13crafc: the Boolean model finds 4 breaks but stalls at bound 3; only the
    run-pattern model proves that 4 is optimal (the published optimum)."""
    inst = load("tic-13crafc")
    sol = solve(inst, time_limit=90, workers=2)
    assert check(inst, sol.slots) == []
    assert (sol.breaks, sol.bound, sol.optimal) == (4, 4, True)


def test_solver_keeps_fixed_meetings_and_hint():
    inst = toy()
    inst.fixed = {4: 4}
    hint = greedy(inst).slots
    sol = solve(inst, time_limit=10, hint=hint)  # type: ignore[arg-type]
    assert check(inst, sol.slots) == []
    assert sol.slots[4] == 4
    assert sol.breaks == 0
    assert sol.optimal


def test_solver_reports_infeasible():
    inst = toy()
    inst.forbidden[2] = {1, 2}  # meeting 3 (2-3) is morning-only
    sol = solve(inst, time_limit=10)
    assert not sol.optimal
    assert sol.status == "INFEASIBLE"
    assert "participant 2 is unavailable in every morning slot" in sol.unplaced_reasons[2]


def test_allow_unplaced_places_the_maximum_with_reasons():
    # Participant 1 wants four meetings in three slots; participant 6 is away all morning
    # but has a morning-only meeting; participants 7 and 8 share no allowed slot.
    inst = B2BInstance(
        n_business=8,
        meetings=[
            (1, 2, 3),
            (1, 3, 3),
            (1, 4, 3),
            (1, 5, 3),
            (6, 2, 1),
            (7, 8, 3),
            (3, 4, 3),
        ],
        n_tables=2,
        n_slots=3,
        n_morning=2,
        forbidden={6: {1, 2}, 7: {1, 2}, 8: {3}},
    )
    sol = solve(inst, time_limit=10, allow_unplaced=True)
    assert check(inst, sol.slots, allow_unplaced=True) == []
    # At most 3 of participant 1's 4 meetings fit, and two meetings can never be placed.
    assert sol.placed == 4
    assert sol.optimal
    unplaced = {i for i, s in enumerate(sol.slots) if s is None}
    assert {4, 5} <= unplaced
    assert "participant 6 is unavailable in every morning slot" in sol.unplaced_reasons[4]
    assert "no common allowed slot" in sol.unplaced_reasons[5]
    (other,) = unplaced - {4, 5}
    assert "participant 1 has 4 meetings but only 3 allowed slots" in sol.unplaced_reasons[other]


def test_allow_unplaced_tables_limit():
    inst = B2BInstance(
        n_business=6,
        meetings=[(1, 2, 3), (3, 4, 3), (5, 6, 3)],
        n_tables=1,
        n_slots=2,
        n_morning=2,
        forbidden={},
    )
    sol = solve(inst, time_limit=10, allow_unplaced=True)
    assert sol.placed == 2
    assert check(inst, sol.slots, allow_unplaced=True) == []
    (reason,) = sol.unplaced_reasons.values()
    assert "tables" in reason


# --- the command -----------------------------------------------------------------------------


def test_solve_b2b_command_json():
    out = io.StringIO()
    call_command(
        "solve-b2b", str(DATA / "tic-12.original.dzn"), "--time-limit", "20", "--json", stdout=out
    )
    data = json.loads(out.getvalue())
    assert set(data) == {"slots", "breaks", "optimal", "seconds"}
    inst = load("tic-12")
    assert len(data["slots"]) == len(inst.meetings)
    assert check(inst, data["slots"]) == []
    assert data["breaks"] == 0
    assert data["optimal"] is True


def test_solve_b2b_command_summary():
    out = io.StringIO()
    call_command("solve-b2b", str(DATA / "tic-12.original.dzn"), "--time-limit", "20", stdout=out)
    text = out.getvalue()
    assert "breaks 0 (optimal)" in text
    assert "feasible: yes" in text


def test_solve_b2b_command_unreadable_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("solve-b2b", str(tmp_path / "missing.dzn"), stdout=io.StringIO())
    junk = tmp_path / "junk.dzn"
    junk.write_text("nothing here")
    with pytest.raises(CommandError, match="not a valid B2B instance"):
        call_command("solve-b2b", str(junk), stdout=io.StringIO())
