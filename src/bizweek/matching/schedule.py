"""Optimal B2B meeting scheduling: give every accepted meeting a time slot.

The problem is the business-to-business meeting scheduling problem of Bofill et al.,
"Constraint Solving Approaches to the Business-to-Business Meeting Scheduling Problem",
JAIR 74 (2022). Every meeting between two participants gets one slot such that nobody is in
two meetings at once, at most ``n_tables`` meetings share a slot, nobody meets in a slot they
marked forbidden, morning-only (session 1) and afternoon-only (session 2) meetings stay in
their session, and the numbers of breaks of any two participants differ by at most
``max_breaks``. A break is a run of idle slots between two meetings of one participant; the
total number of breaks is minimised.

The module is pure Python plus OR-Tools (no Django), so the ``bizweek solve-b2b`` command,
``bench/schedule.py`` and the web app share one solver. Participants and slots are 1-based
as in the published ``.dzn`` files; meetings are 0-based list indices.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import math
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field

__all__ = [
    "B2BInstance",
    "Solution",
    "check",
    "count_breaks",
    "greedy",
    "parse_dzn",
    "solve",
]

SESSION_MORNING = 1
SESSION_AFTERNOON = 2
SESSION_ANY = 3


@dataclass
class B2BInstance:
    """One scheduling problem. Participants and slots are 1-based; meetings 0-based."""

    n_business: int
    meetings: list[tuple[int, int, int]]
    n_tables: int
    n_slots: int
    n_morning: int
    forbidden: dict[int, set[int]] = field(default_factory=dict)
    # Fairness: the breaks of any two participants differ by at most this. Every published
    # instance has a participant with at most one meeting (so 0 breaks), which makes it
    # "every participant has at most max_breaks breaks".
    max_breaks: int = 2
    fixed: dict[int, int] = field(default_factory=dict)
    name: str = ""
    # Extra per-slot limits on a subset of meetings, e.g. meetings that need an interpreter
    # can use at most as many as there are interpreters free in that slot:
    # [(meeting indices, {slot: capacity})]; a slot missing from the dict has capacity 0.
    capacity_groups: list[tuple[list[int], dict[int, int]]] = field(default_factory=list)

    def participant_meetings(self) -> dict[int, list[int]]:
        """Meeting indices of every participant 1..n_business (empty lists included)."""
        out: dict[int, list[int]] = {p: [] for p in range(1, self.n_business + 1)}
        for i, (a, b, _s) in enumerate(self.meetings):
            out.setdefault(a, []).append(i)
            out.setdefault(b, []).append(i)
        return out

    def session_slots(self, session: int) -> range:
        """The 1-based slots a session type may use."""
        if session == SESSION_MORNING:
            return range(1, self.n_morning + 1)
        if session == SESSION_AFTERNOON:
            return range(self.n_morning + 1, self.n_slots + 1)
        return range(1, self.n_slots + 1)

    def allowed_slots(self, i: int) -> list[int]:
        """Slots meeting i may take: its session, neither side forbidden, fixed if fixed."""
        a, b, session = self.meetings[i]
        bad = self.forbidden.get(a, set()) | self.forbidden.get(b, set())
        slots = [s for s in self.session_slots(session) if s not in bad]
        if i in self.fixed:
            slots = [s for s in slots if s == self.fixed[i]]
        return slots


@dataclass
class Solution:
    """A schedule: 1-based slot per meeting (None = not placed) and how good it is."""

    slots: list[int | None]
    breaks: int
    optimal: bool
    seconds: float
    status: str
    unplaced_reasons: dict[int, str] = field(default_factory=dict)
    bound: int | None = None  # best proven lower bound on the breaks, when the solver has one

    @property
    def placed(self) -> int:
        return sum(1 for s in self.slots if s is not None)


# --- parsing -------------------------------------------------------------------------------


def _dzn_int(text: str, key: str) -> int:
    m = re.search(rf"\b{key}\s*=\s*(-?\d+)\s*;", text)
    if not m:
        raise ValueError(f"missing integer field {key!r}")
    return int(m.group(1))


def _dzn_value(text: str, key: str) -> str | None:
    """Raw text between `key =` and the terminating `;` (None when the field is absent)."""
    m = re.search(rf"\b{key}\s*=\s*([^;]*);", text)
    return m.group(1) if m else None


def _dzn_sets(raw: str) -> list[list[int]]:
    return [
        [int(x) for x in re.findall(r"-?\d+", body)] for body in re.findall(r"\{([^}]*)\}", raw)
    ]


def parse_dzn(text: str, name: str = "") -> B2BInstance:
    """Read a MiniZinc data file of the published benchmark (or the same fields by hand).

    Each participant's meetings are derived from `requested`; `nMeetingsBusiness` and
    `meetingsxBusiness` (shifted by one and padded with a 1 in the published files) are only
    cross-checked, so a file whose redundant fields disagree is rejected, not half-trusted.
    """
    text = "\n".join(line.split("%", 1)[0] for line in text.splitlines())
    n_business = _dzn_int(text, "nBusiness")
    n_meetings = _dzn_int(text, "nMeetings")
    n_tables = _dzn_int(text, "nTables")
    n_slots = _dzn_int(text, "nTotalSlots")
    n_morning = _dzn_int(text, "nMorningSlots")
    if min(n_business, n_meetings, n_tables, n_slots) < 0 or not 0 <= n_morning <= n_slots:
        raise ValueError("sizes must be non-negative and nMorningSlots <= nTotalSlots")

    raw = _dzn_value(text, "requested")
    if raw is None:
        raise ValueError("missing field 'requested'")
    nums = [int(x) for x in re.findall(r"-?\d+", raw)]
    if len(nums) != 3 * n_meetings:
        raise ValueError(
            f"requested has {len(nums)} numbers, expected 3 x nMeetings = {3 * n_meetings}"
        )
    meetings: list[tuple[int, int, int]] = []
    for k in range(n_meetings):
        a, b, session = nums[3 * k : 3 * k + 3]
        if not (1 <= a <= n_business and 1 <= b <= n_business) or a == b:
            raise ValueError(f"meeting {k + 1}: bad participants {a}, {b}")
        if session not in (1, 2, 3):
            raise ValueError(f"meeting {k + 1}: bad session {session}")
        meetings.append((a, b, session))

    inst = B2BInstance(
        n_business=n_business,
        meetings=meetings,
        n_tables=n_tables,
        n_slots=n_slots,
        n_morning=n_morning,
        name=name,
    )
    derived = inst.participant_meetings()

    raw = _dzn_value(text, "nMeetingsBusiness")
    if raw is not None:
        counts = [int(x) for x in re.findall(r"-?\d+", raw)]
        if len(counts) != n_business:
            raise ValueError(f"nMeetingsBusiness has {len(counts)} entries, expected {n_business}")
        for p, c in enumerate(counts, start=1):
            if c != len(derived[p]):
                raise ValueError(
                    f"participant {p}: requested lists {len(derived[p])} meetings, "
                    f"nMeetingsBusiness says {c}"
                )

    raw = _dzn_value(text, "meetingsxBusiness")
    if raw is not None:
        sets = _dzn_sets(raw)
        if len(sets) != n_business:
            raise ValueError(f"meetingsxBusiness has {len(sets)} sets, expected {n_business}")
        for p, listed in enumerate(sets, start=1):
            plain = {i + 1 for i in derived[p]}
            shifted = {1} | {i + 2 for i in derived[p]}  # the published files' layout
            if set(listed) not in (plain, shifted):
                raise ValueError(f"participant {p}: meetingsxBusiness disagrees with requested")

    raw = _dzn_value(text, "forbidden")
    if raw is not None:
        sets = _dzn_sets(raw)
        if len(sets) != n_business:
            raise ValueError(f"forbidden has {len(sets)} sets, expected {n_business}")
        for p, slots in enumerate(sets, start=1):
            real = {s for s in slots if s != 0}  # 0 is padding
            if any(not 1 <= s <= n_slots for s in real):
                raise ValueError(f"participant {p}: forbidden slot out of range")
            if real:
                inst.forbidden[p] = real

    raw = _dzn_value(text, "fixed")
    if raw is not None:
        values = [int(x) for x in re.findall(r"-?\d+", raw)]
        if values and len(values) != n_meetings:
            raise ValueError(f"fixed has {len(values)} entries, expected {n_meetings}")
        for i, s in enumerate(values):
            if s:
                if not 1 <= s <= n_slots:
                    raise ValueError(f"meeting {i + 1}: fixed slot {s} out of range")
                inst.fixed[i] = s

    raw = _dzn_value(text, "precedences")
    if raw is not None and any(v for body in _dzn_sets(raw) for v in body if v):
        raise ValueError("precedences between meetings are not supported")
    return inst


# --- independent checking ------------------------------------------------------------------
# Written from the problem statement alone, without the model's data structures, so that a
# modelling mistake cannot hide itself.


def count_breaks(instance: B2BInstance, slots: list[int | None]) -> dict[int, int]:
    """Breaks per participant (every participant 1..n_business): idle runs between meetings."""
    busy: dict[int, set[int]] = {p: set() for p in range(1, instance.n_business + 1)}
    for (a, b, _session), s in zip(instance.meetings, slots, strict=True):
        if s is None:
            continue
        busy.setdefault(a, set()).add(s)
        busy.setdefault(b, set()).add(s)
    out: dict[int, int] = {}
    for p, used in busy.items():
        ordered = sorted(used)
        out[p] = sum(1 for x, y in itertools.pairwise(ordered) if y > x + 1)
    return out


def check(
    instance: B2BInstance, slots: list[int | None], *, allow_unplaced: bool = False
) -> list[str]:
    """Every rule the schedule breaks, as readable lines; an empty list means feasible."""
    problems: list[str] = []
    if len(slots) != len(instance.meetings):
        return [f"{len(slots)} slots given for {len(instance.meetings)} meetings"]
    per_slot: dict[int, list[int]] = defaultdict(list)
    per_person_slot: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, ((a, b, session), s) in enumerate(zip(instance.meetings, slots, strict=True)):
        label = f"meeting {i + 1} ({a}-{b})"
        if s is None:
            if not allow_unplaced:
                problems.append(f"{label}: not placed")
            continue
        if not isinstance(s, int) or not 1 <= s <= instance.n_slots:
            problems.append(f"{label}: slot {s} out of range 1..{instance.n_slots}")
            continue
        if session == SESSION_MORNING and s > instance.n_morning:
            problems.append(f"{label}: morning meeting in afternoon slot {s}")
        if session == SESSION_AFTERNOON and s <= instance.n_morning:
            problems.append(f"{label}: afternoon meeting in morning slot {s}")
        for p in (a, b):
            if s in instance.forbidden.get(p, ()):
                problems.append(f"{label}: slot {s} is forbidden for participant {p}")
            per_person_slot[(p, s)].append(i)
        if i in instance.fixed and instance.fixed[i] != s:
            problems.append(f"{label}: fixed at slot {instance.fixed[i]} but placed in {s}")
        per_slot[s].append(i)
    for (p, s), ms in sorted(per_person_slot.items()):
        if len(ms) > 1:
            listed = ", ".join(str(i + 1) for i in ms)
            problems.append(f"participant {p}: double booked in slot {s} (meetings {listed})")
    for s, ms in sorted(per_slot.items()):
        if len(ms) > instance.n_tables:
            problems.append(f"slot {s}: {len(ms)} meetings for {instance.n_tables} tables")
    for number, (members, capacity) in enumerate(instance.capacity_groups, start=1):
        member_set = set(members)
        for s, ms in sorted(per_slot.items()):
            used = sum(1 for i in ms if i in member_set)
            if used > capacity.get(s, 0):
                problems.append(
                    f"slot {s}: {used} meetings of group {number} for capacity {capacity.get(s, 0)}"
                )
    breaks = count_breaks(instance, slots)
    if breaks:
        lo = min(breaks.values())
        hi_p = max(breaks, key=lambda p: breaks[p])
        if breaks[hi_p] - lo > instance.max_breaks:
            problems.append(
                f"fairness: participant {hi_p} has {breaks[hi_p]} breaks, the least is {lo} "
                f"(allowed difference {instance.max_breaks})"
            )
    return problems


# --- greedy baseline -----------------------------------------------------------------------


def _total(breaks: dict[int, int]) -> int:
    return sum(breaks.values())


def greedy(
    instance: B2BInstance, *, seed: int = 0, restarts: int = 20, smart: bool = False
) -> Solution:
    """First feasible slot, most constrained meeting first, randomized restarts.

    The baseline beside the solver, and its fallback. At each step it takes the meeting with
    the fewest slots still open to it (ties: participants with least slack, then at random)
    and puts it in the earliest such slot; a meeting left without any open slot may move the
    meetings blocking it elsewhere (short ejection chains). It ignores breaks and fairness
    while placing; of all restarts it keeps the one that places most meetings, then is fair,
    then has fewest breaks. `smart=True` instead picks the slot adding fewest breaks and
    respects the fairness cap (the starting point for big events).
    """
    t0 = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 - reproducible restarts, not security
    n = len(instance.meetings)
    allowed = [instance.allowed_slots(i) for i in range(n)]
    best: tuple[tuple[int, int, int], list[int | None]] | None = None
    for r in range(max(1, restarts)):
        slots = _greedy_once(instance, allowed, rng if r else None, smart=smart)
        breaks = count_breaks(instance, slots)
        unfair = int(
            bool(breaks) and max(breaks.values()) - min(breaks.values()) > instance.max_breaks
        )
        key = (sum(s is None for s in slots), unfair, _total(breaks))
        if best is None or key < best[0]:
            best = (key, slots)
        if key == (0, 0, 0):
            break
    assert best is not None
    slots = best[1]
    reasons = {
        i: _reason(instance, i, allowed, searched=False) for i, s in enumerate(slots) if s is None
    }
    return Solution(
        slots=slots,
        breaks=_total(count_breaks(instance, slots)),
        optimal=False,
        seconds=time.perf_counter() - t0,
        status="HEURISTIC",
        unplaced_reasons=reasons,
    )


class _Board:
    """A partial schedule with undo, for the greedy pass and its repairs."""

    def __init__(self, inst: B2BInstance, allowed: list[list[int]]) -> None:
        self.inst = inst
        self.allowed = allowed
        self.busy: dict[tuple[int, int], int] = {}  # (participant, slot) -> meeting
        self.at: dict[int, set[int]] = defaultdict(set)  # slot -> meetings
        self.slots: list[int | None] = [None] * len(inst.meetings)
        self.log: list[tuple[int, int, bool]] = []
        self.mine: dict[int, set[int]] = defaultdict(set)  # participant -> busy slots
        self.cap: int | None = None  # most breaks a participant may get (smart mode)
        self._breaks: dict[int, int] = {}  # cache, dropped for a participant on every change
        self.budget = 0  # relocations a repair may still try

    def delta(self, p: int, s: int) -> int:
        """Breaks participant p gains (or loses, -1) by also meeting in slot s."""
        busy = self.mine[p]
        if not busy:
            return 0
        left, right = (s - 1) in busy, (s + 1) in busy
        below, above = min(busy) < s, max(busy) > s
        if not below:
            return 0 if right else 1
        if not above:
            return 0 if left else 1
        return (0 if left else 1) + (0 if right else 1) - 1

    def breaks(self, p: int) -> int:
        got = self._breaks.get(p)
        if got is None:
            ordered = sorted(self.mine[p])
            got = sum(1 for x, y in itertools.pairwise(ordered) if y > x + 1)
            self._breaks[p] = got
        return got

    def is_ok(self, i: int, s: int) -> bool:
        """Open, and within the per-participant break cap when there is one."""
        if not self.is_open(i, s):
            return False
        if self.cap is None:
            return True
        a, b, _ = self.inst.meetings[i]
        return all(self.breaks(p) + self.delta(p, s) <= self.cap for p in (a, b))

    def is_open(self, i: int, s: int) -> bool:
        a, b, _ = self.inst.meetings[i]
        return (
            (a, s) not in self.busy
            and (b, s) not in self.busy
            and len(self.at[s]) < self.inst.n_tables
        )

    def place(self, i: int, s: int) -> None:
        a, b, _ = self.inst.meetings[i]
        self._set(i, s, a, b)
        self.log.append((i, s, True))

    def _set(self, i: int, s: int, a: int, b: int) -> None:
        self.slots[i] = s
        self.busy[a, s] = i
        self.busy[b, s] = i
        self.at[s].add(i)
        self.mine[a].add(s)
        self.mine[b].add(s)
        self._breaks.pop(a, None)
        self._breaks.pop(b, None)

    def _clear(self, i: int, s: int, a: int, b: int) -> None:
        del self.busy[a, s], self.busy[b, s]
        self.at[s].discard(i)
        self.mine[a].discard(s)
        self.mine[b].discard(s)
        self._breaks.pop(a, None)
        self._breaks.pop(b, None)
        self.slots[i] = None

    def unplace(self, i: int) -> int:
        s = self.slots[i]
        assert s is not None
        a, b, _ = self.inst.meetings[i]
        self._clear(i, s, a, b)
        self.log.append((i, s, False))
        return s

    def undo(self, mark: int) -> None:
        while len(self.log) > mark:
            i, s, placed = self.log.pop()
            a, b, _ = self.inst.meetings[i]
            if placed:
                self._clear(i, s, a, b)
            else:
                self._set(i, s, a, b)

    def make_room(self, i: int, s: int, depth: int, tabu: frozenset[int]) -> bool:
        """Move the meetings keeping meeting i out of slot s elsewhere (ejection chain)."""
        a, b, _ = self.inst.meetings[i]
        blockers = {self.busy[p, s] for p in (a, b) if (p, s) in self.busy}
        options: list[set[int]] = [blockers]
        if len(self.at[s]) - len(blockers) >= self.inst.n_tables:
            options = [blockers | {j} for j in sorted(self.at[s] - blockers)]
        tabu = tabu | {s}
        for group in options:
            mark = len(self.log)
            if all(self._relocate(j, depth, tabu) for j in group) and self.is_ok(i, s):
                return True
            self.undo(mark)
        return False

    def _relocate(self, j: int, depth: int, tabu: frozenset[int]) -> bool:
        self.budget -= 1
        if self.budget < 0:
            return False
        self.unplace(j)
        for t in self.allowed[j]:
            if t not in tabu and self.is_ok(j, t):
                self.place(j, t)
                return True
        if depth > 0:
            for t in self.allowed[j]:
                if t in tabu:
                    continue
                mark = len(self.log)
                if self.make_room(j, t, depth - 1, tabu):
                    self.place(j, t)
                    return True
                self.undo(mark)
        return False


def _greedy_once(
    inst: B2BInstance,
    allowed: list[list[int]],
    rng: random.Random | None,
    *,
    smart: bool = False,
) -> list[int | None]:
    """One greedy pass; `rng` None means the deterministic order.

    Plain: the earliest open slot. Smart: the open slot that adds fewest breaks to the two
    participants (then the one next to most of their meetings, then the earliest), never
    taking anyone over `max_breaks` when fairness means a cap; a cheap, fair starting point
    for CP-SAT on big events.
    """
    n = len(inst.meetings)
    mine: dict[int, list[int]] = defaultdict(list)
    for i, (a, b, _) in enumerate(inst.meetings):
        mine[a].append(i)
        mine[b].append(i)
    by_slot: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        for s in allowed[i]:
            by_slot[s].append(i)
    noise = [rng.random() if rng else 0.0 for _ in range(n)]
    board = _Board(inst, allowed)
    if smart and _cap_applies(inst):
        board.cap = inst.max_breaks
    ok = board.is_ok if smart else board.is_open  # counts below track openness only
    count = [len(allowed[i]) for i in range(n)]
    todo = set(range(n))
    # Tie-break on the participants' slack: slots they may use minus meetings they have.
    free = {p: len({s for i in ms for s in allowed[i]}) - len(ms) for p, ms in mine.items()}
    slack = [min(free[a], free[b]) for a, b, _ in inst.meetings]
    # Lazy heap on (open slots, slack, noise): stale entries are skipped when popped.
    heap = [(count[i], slack[i], noise[i], i) for i in range(n)]
    heapq.heapify(heap)

    def recount(js: object) -> None:
        for j in js:  # type: ignore[attr-defined]
            c = sum(1 for s in allowed[j] if board.is_open(j, s))
            if c != count[j]:
                count[j] = c
                heapq.heappush(heap, (c, slack[j], noise[j], j))

    def score(i: int, s: int) -> tuple[int, int, int]:
        a, b, _ = inst.meetings[i]
        near = sum((t in board.mine[p]) for p in (a, b) for t in (s - 1, s + 1))
        return (board.delta(a, s) + board.delta(b, s), -near, s)

    while todo:
        c, _sl, _no, i = heapq.heappop(heap)
        if i not in todo or c != count[i]:
            continue
        todo.discard(i)
        a, b, _ = inst.meetings[i]
        if smart:
            options = [s for s in allowed[i] if ok(i, s)]
            choice = min(options, key=lambda s: score(i, s)) if options else None
        else:
            choice = next((s for s in allowed[i] if ok(i, s)), None)
        if choice is None:
            board.budget = 2000 if n <= 2000 else 100  # bounded: big events must not stall
            for s in allowed[i]:
                mark = len(board.log)
                if board.make_room(i, s, 2, frozenset()):
                    board.place(i, s)
                    break
                board.undo(mark)
            else:
                continue
            recount(list(todo))  # meetings moved: recount what is still to place
            continue
        hit = {j for j in mine[a] + mine[b] if board.slots[j] is None}
        before = {j: board.is_open(j, choice) for j in hit}
        board.place(i, choice)
        if len(board.at[choice]) >= inst.n_tables:  # the slot just filled up
            for j in by_slot[choice]:
                if j not in hit and board.slots[j] is None:
                    pa, pb, _ = inst.meetings[j]
                    if (pa, choice) not in board.busy and (pb, choice) not in board.busy:
                        count[j] -= 1  # it was open there before, and is not any more
                        heapq.heappush(heap, (count[j], slack[j], noise[j], j))
        for j in hit:
            if before[j] and not board.is_open(j, choice):
                count[j] -= 1
                heapq.heappush(heap, (count[j], slack[j], noise[j], j))
    return board.slots


def _cap_applies(inst: B2BInstance) -> bool:
    """Fairness is a per-participant cap when someone has at most one meeting (0 breaks)."""
    counts: dict[int, int] = dict.fromkeys(range(1, inst.n_business + 1), 0)
    for a, b, _ in inst.meetings:
        counts[a] = counts.get(a, 0) + 1
        counts[b] = counts.get(b, 0) + 1
    return any(c <= 1 for c in counts.values())


def _reason(instance: B2BInstance, i: int, allowed: list[list[int]], *, searched: bool) -> str:
    """Why meeting i could not be placed, as precisely as can be told without search."""
    a, b, session = instance.meetings[i]
    sess = list(instance.session_slots(session))
    sess_name = {1: "morning", 2: "afternoon"}.get(session, "")
    if i in instance.fixed and instance.fixed[i] not in sess:
        return f"fixed slot {instance.fixed[i]} is outside the meeting's {sess_name} session"
    if not sess:
        return f"the event has no {sess_name} slots"
    for p in (a, b):
        if all(s in instance.forbidden.get(p, ()) for s in sess):
            where = f"{sess_name} " if sess_name else ""
            return f"participant {p} is unavailable in every {where}slot"
    if i in instance.fixed and not allowed[i]:
        return f"fixed slot {instance.fixed[i]} is forbidden for a participant"
    if not allowed[i]:
        return f"participants {a} and {b} have no common allowed slot"
    for p in (a, b):
        mine = [j for j, m in enumerate(instance.meetings) if p in m[:2]]
        free = {s for j in mine for s in allowed[j]}
        if len(mine) > len(free):
            return f"participant {p} has {len(mine)} meetings but only {len(free)} allowed slots"
    if searched:
        return (
            "every common allowed slot is taken by the participants' other meetings, "
            "the tables, or the fairness limit on breaks"
        )
    return "no free slot left when it was placed (heuristic)"


# --- the CP-SAT model ------------------------------------------------------------------------


@dataclass
class _Model:
    """The CP-SAT model and the handles needed to hint it and read it back."""

    model: object
    x: dict[tuple[int, int], object]
    hint_vars: list[tuple[object, object]]  # (variable, function slots -> hinted value)
    holes: list[object]  # one Boolean per possible break; their sum is the objective
    nobreak: dict[int, object] = field(default_factory=dict)  # participant -> "no break"


def _build(
    inst: B2BInstance,
    allowed: list[list[int]],
    *,
    allow_unplaced: bool,
    opts: dict[str, object],
) -> _Model:
    """Boolean slot model with the break structure of Bofill et al. made explicit.

    x[i, s]       meeting i is in slot s (only for slots it may take);
    used[p, s]    participant p meets in slot s (= sum of its x in s, at most one);
    held[p, s]    p has met at some slot <= s  (the order encoding of first[p]);
    fut[p, s]     p meets at some slot >= s    (the order encoding of last[p]);
    hole[p, s]    a break of p ends at s: used[p, s], not used[p, s-1], held[p, s-1].
    Breaks of p = sum of its holes; the objective is the sum over all participants. Implied:
    last - first + 1 = meetings + idle slots, idle = 0 iff no break, every slot between
    first and last is used when there is no break. The implied span constraints are what let
    CP-SAT find break-free schedules of the two-session instances at all.
    """
    from ortools.sat.python import cp_model

    n = len(inst.meetings)
    S = inst.n_slots
    by_person = inst.participant_meetings()
    m = cp_model.CpModel()
    hint_vars: list[tuple[object, object]] = []
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    placed: list[object] = []
    for i in range(n):
        for s in allowed[i]:
            v = m.new_bool_var(f"x{i}_{s}")
            x[i, s] = v
            hint_vars.append((v, lambda sl, i=i, s=s: int(sl[i] == s)))
        lits = [x[i, s] for s in allowed[i]]
        if allow_unplaced:
            if lits:
                pv = m.new_bool_var(f"placed{i}")
                m.add(sum(lits) == pv)
                placed.append(pv)
                hint_vars.append((pv, lambda sl, i=i: int(sl[i] is not None)))
        else:
            m.add_exactly_one(lits)

    per_slot: dict[int, list[object]] = defaultdict(list)
    for (_i, s), v in x.items():
        per_slot[s].append(v)
    for vs in per_slot.values():
        if len(vs) > inst.n_tables:
            m.add(sum(vs) <= inst.n_tables)
    for members, capacity in inst.capacity_groups:
        for slot in range(1, S + 1):
            vs = [x[i, slot] for i in members if (i, slot) in x]
            if len(vs) > capacity.get(slot, 0):
                m.add(sum(vs) <= capacity.get(slot, 0))

    # t[i]: the slot of meeting i as an integer, so that each participant's meetings can be
    # all-different (Hall-interval reasoning that the Boolean x alone does not give) and lie
    # between the participant's first and last slot.
    tvar: dict[int, object] = {}
    if not allow_unplaced and opts.get("alldiff", True):
        for i in range(n):
            t = m.new_int_var_from_domain(cp_model.Domain.from_values(allowed[i]), f"t{i}")
            m.add(t == sum(s * x[i, s] for s in allowed[i]))
            tvar[i] = t
            hint_vars.append((t, lambda sl, i=i: sl[i]))
        for ms in by_person.values():
            if len(ms) >= 2:
                m.add_all_different([tvar[i] for i in ms])

    def busy_of(p: int):  # local helper for the hint functions
        mine = by_person[p]
        return lambda sl: {sl[i] for i in mine if sl[i] is not None}

    d = inst.max_breaks
    someone_idle = any(len(ms) <= 1 for ms in by_person.values())
    span = bool(opts.get("span", True)) and not allow_unplaced
    holes_all: list[object] = []
    breaks_of: dict[int, object] = {}
    intervals: list[object] = []
    nobreak: dict[int, object] = {}
    for p, ms in by_person.items():
        if len(ms) <= 1:
            breaks_of[p] = 0
            continue
        busy = busy_of(p)
        used: dict[int, object] = {}
        for s in range(1, S + 1):
            vs = [x[i, s] for i in ms if (i, s) in x]
            if not vs:
                continue
            if len(vs) == 1:
                used[s] = vs[0]
                continue
            u = m.new_bool_var(f"u{p}_{s}")
            m.add(sum(vs) == u)
            used[s] = u
            hint_vars.append((u, lambda sl, s=s, busy=busy: int(s in busy(sl))))
        if not used:
            breaks_of[p] = 0
            continue
        # held[s] = held[s-1] or used[s]; None stands for constant false.
        held: dict[int, object | None] = {}
        prev = None
        for s in range(1, S + 1):
            u = used.get(s)
            if u is None:
                held[s] = prev
            elif prev is None:
                held[s] = u
            else:
                h = m.new_bool_var(f"h{p}_{s}")
                m.add_bool_or([prev, u, h.Not()])
                m.add_implication(prev, h)
                m.add_implication(u, h)
                hint_vars.append((h, lambda sl, s=s, busy=busy: int(any(t <= s for t in busy(sl)))))
                held[s] = h
            prev = held[s]
        holes = []
        hole_at: dict[int, object] = {}
        for s in sorted(used):
            hp = held.get(s - 1)
            if hp is None:
                continue
            u = used[s]
            pu = used.get(s - 1)
            h = m.new_bool_var(f"hole{p}_{s}")
            lits = [u.Not(), hp.Not(), h]
            if pu is not None:
                lits.append(pu)
                m.add_implication(h, pu.Not())
            m.add_bool_or(lits)
            m.add_implication(h, u)
            m.add_implication(h, hp)
            hint_vars.append(
                (
                    h,
                    lambda sl, s=s, busy=busy: int(
                        s in busy(sl) and s - 1 not in busy(sl) and any(t < s for t in busy(sl))
                    ),
                )
            )
            holes.append(h)
            hole_at[s] = h
        nbreaks = sum(holes) if holes else 0
        breaks_of[p] = nbreaks
        holes_all.extend(holes)
        if someone_idle and holes:
            m.add(nbreaks <= d)
        if span and holes:
            fut: dict[int, object | None] = {}
            nxt = None
            for s in range(S, 0, -1):
                u = used.get(s)
                if u is None:
                    fut[s] = nxt
                elif nxt is None:
                    fut[s] = u
                else:
                    f = m.new_bool_var(f"f{p}_{s}")
                    m.add_bool_or([nxt, u, f.Not()])
                    m.add_implication(nxt, f)
                    m.add_implication(u, f)
                    hint_vars.append(
                        (f, lambda sl, s=s, busy=busy: int(any(t >= s for t in busy(sl))))
                    )
                    fut[s] = f
                nxt = fut[s]
            lo, hi = min(used), max(used)
            first = m.new_int_var(lo, hi, f"first{p}")
            last = m.new_int_var(lo, hi, f"last{p}")
            hint_vars.append((first, lambda sl, busy=busy: min(busy(sl))))
            hint_vars.append((last, lambda sl, busy=busy: max(busy(sl))))
            for s in range(lo, hi + 1):
                h = held.get(s)
                if h is not None and s < hi:
                    m.add(first <= s).only_enforce_if(h)
                    m.add(first > s).only_enforce_if(h.Not())
                f = fut.get(s)
                if f is not None and s > lo:
                    m.add(last >= s).only_enforce_if(f)
                    m.add(last < s).only_enforce_if(f.Not())
            idle = m.new_int_var(0, max(0, hi - lo + 1 - len(ms)), f"idle{p}")
            m.add(last - first + 1 == len(ms) + idle)
            hint_vars.append(
                (idle, lambda sl, busy=busy: max(busy(sl)) - min(busy(sl)) + 1 - len(busy(sl)))
            )
            nob = m.new_bool_var(f"nobreak{p}")
            nobreak[p] = nob
            hint_vars.append(
                (nob, lambda sl, busy=busy: int(max(busy(sl)) - min(busy(sl)) + 1 == len(busy(sl))))
            )
            m.add(nbreaks == 0).only_enforce_if(nob)
            m.add(nbreaks >= 1).only_enforce_if(nob.Not())
            m.add(idle == 0).only_enforce_if(nob)
            m.add(idle >= nbreaks)
            for s in used:
                h, f = held.get(s), fut.get(s)
                if h is not None and f is not None and h is not used[s] and f is not used[s]:
                    m.add_bool_or([nob.Not(), h.Not(), f.Not(), used[s]])
            for i in ms if tvar else ():
                m.add(tvar[i] >= first)
                m.add(tvar[i] <= last)
            if opts.get("cumulative", True):
                # Busy participants per slot <= 2 x tables, over blocks of consecutive
                # meetings: a break-free participant is one block of fixed length.
                intervals.append(m.new_optional_fixed_size_interval_var(first, len(ms), nob, ""))
                if someone_idle:
                    _blocks(m, intervals, hint_vars, busy, len(ms), d, first, last, nob, hole_at)

    if intervals:
        m.add_cumulative(intervals, [1] * len(intervals), 2 * inst.n_tables)

    if not someone_idle:
        lo_b = m.new_int_var(0, S, "min_breaks")
        hi_b = m.new_int_var(0, S, "max_breaks")
        for b in breaks_of.values():
            m.add(lo_b <= b)
            m.add(hi_b >= b)
        m.add(hi_b - lo_b <= d)

    # Meetings of the same pair with the same possible slots are interchangeable: order them.
    if not allow_unplaced:
        twins: dict[tuple[int, int, tuple[int, ...]], list[int]] = defaultdict(list)
        for i, (a, b, _s) in enumerate(inst.meetings):
            if i not in inst.fixed:
                twins[(min(a, b), max(a, b), tuple(allowed[i]))].append(i)
        for group in twins.values():
            for i, j in itertools.pairwise(group):
                m.add(sum(s * x[i, s] for s in allowed[i]) < sum(s * x[j, s] for s in allowed[j]))

    total_breaks = sum(holes_all) if holes_all else 0
    if allow_unplaced:
        # Lexicographic: one more placed meeting outweighs any number of breaks.
        weight = len(holes_all) + 1
        m.minimize(weight * sum(1 - pv for pv in placed) + total_breaks)
    else:
        m.minimize(total_breaks)
    return _Model(model=m, x=x, hint_vars=hint_vars, holes=holes_all, nobreak=nobreak)


def _runs(busy: set[int]) -> list[tuple[int, int]]:
    """(start, length) of each block of consecutive slots, in order."""
    out: list[tuple[int, int]] = []
    for s in sorted(busy):
        if out and out[-1][0] + out[-1][1] == s:
            out[-1] = (out[-1][0], out[-1][1] + 1)
        else:
            out.append((s, 1))
    return out


def _blocks(
    m: object,
    intervals: list[object],
    hint_vars: list[tuple[object, object]],
    busy: object,
    n_meetings: int,
    d: int,
    first: object,
    last: object,
    nob: object,
    hole_at: dict[int, object],
) -> None:
    """The day of a participant with breaks as at most d + 1 blocks, for the cumulative.

    Block 1 starts at `first`, block k > 1 starts where a hole is, the last block ends at
    `last`, sizes add up to the participant's meetings. A relaxation (the gaps' lengths stay
    free), valid for every schedule, that gives the cumulative its energy reasoning.
    """
    from ortools.sat.python import cp_model

    assert isinstance(m, cp_model.CpModel)
    k_max = min(d, n_meetings - 1) + 1
    positions = sorted(hole_at)
    broken = nob.Not()  # type: ignore[attr-defined]
    starts: list[object] = [first]
    sizes: list[object] = []
    present: list[object] = [broken]
    eq_by_block: list[dict[int, object]] = []
    for k in range(k_max):
        z = m.new_int_var(0, n_meetings, "")
        hint_vars.append((z, lambda sl, k=k, busy=busy: _block_size(busy(sl), k)))  # type: ignore[operator]
        if k == 0:
            st, q = first, broken
        else:
            st = m.new_int_var_from_domain(cp_model.Domain.from_values(positions), "")
            hint_vars.append(
                (
                    st,
                    lambda sl, k=k, busy=busy, lo_pos=positions[0]: _block_start(
                        busy(sl), k, lo_pos
                    ),
                )  # type: ignore[operator]
            )
            if k == 1:
                q = broken
            else:
                q = m.new_bool_var("")
                m.add_implication(q, present[-1])
                hint_vars.append((q, lambda sl, k=k, busy=busy: int(len(_runs(busy(sl))) > k)))  # type: ignore[operator]
            starts.append(st)
            present.append(q)
            m.add(st >= starts[k - 1] + sizes[k - 1] + 1).only_enforce_if(q)
            eqs: dict[int, object] = {}
            for t in positions:
                e = m.new_bool_var("")
                m.add(st == t).only_enforce_if(e)
                hint_vars.append(
                    (e, lambda sl, k=k, t=t, busy=busy: int(_block_start(busy(sl), k, 0) == t))  # type: ignore[operator]
                )
                eqs[t] = e
            m.add(sum(eqs.values()) == q)
            eq_by_block.append(eqs)
        sizes.append(z)
        m.add(z >= 1).only_enforce_if(q)
        m.add(z == 0).only_enforce_if(q.Not())  # type: ignore[attr-defined]
        end = m.new_int_var(0, 10**6, "")
        hint_vars.append(
            (
                end,
                lambda sl, k=k, busy=busy, lo_pos=positions[0]: (
                    _block_start(busy(sl), k, lo_pos) + _block_size(busy(sl), k)
                ),
            )  # type: ignore[operator]
        )
        intervals.append(m.new_optional_interval_var(st, z, end, q, ""))
    m.add(sum(sizes) == n_meetings).only_enforce_if(broken)
    for t, h in hole_at.items():
        m.add(h == sum(eqs[t] for eqs in eq_by_block))
    for k in range(k_max):
        cond = [present[k]] + ([present[k + 1].Not()] if k + 1 < k_max else [])  # type: ignore[attr-defined]
        m.add(starts[k] + sizes[k] - 1 == last).only_enforce_if(cond)


def _block_size(busy: set[int], k: int) -> int:
    runs = _runs(busy)
    return runs[k][1] if len(runs) > 1 and k < len(runs) else 0


def _block_start(busy: set[int], k: int, default: int) -> int:
    runs = _runs(busy)
    return runs[k][0] if len(runs) > 1 and k < len(runs) else default


def solve(
    instance: B2BInstance,
    *,
    time_limit: float = 60,
    workers: int = 2,
    hint: list[int] | None = None,
    allow_unplaced: bool = False,
    _opts: dict[str, object] | None = None,
) -> Solution:
    """Minimise the total breaks with CP-SAT; stop at the time limit and keep the best found.

    With `allow_unplaced` the number of placed meetings is maximised first (lexicographically,
    through a weight larger than any possible number of breaks) and every meeting left out
    gets a reason; otherwise all meetings must be placed. `hint` is a starting schedule
    (1-based slot per meeting); without one a greedy schedule is used.

    Why stages: with "at most k breaks" as a hard constraint CP-SAT's presolve fixes most
    break literals and finds (or refutes) schedules with k breaks in about a second, while
    plain minimisation from a poor start can take minutes to get there. So: try k = 0;
    minimise with a core-based worker (which proves lower bounds) for a share of the time;
    then try k = lower bound, raising it on each refutation, until the bounds meet.
    """
    t0 = time.perf_counter()
    opts = dict(_opts or {})
    inst = instance
    n = len(inst.meetings)
    allowed = [inst.allowed_slots(i) for i in range(n)]
    if not allow_unplaced and any(not a for a in allowed):
        return _infeasible(inst, allowed, t0, "INFEASIBLE")
    deadline = t0 + time_limit

    def left() -> float:
        return deadline - time.perf_counter()

    if hint is not None and len(hint) == n:
        start: list[int | None] = list(hint)
    else:
        restarts = int(opts.get("greedy_restarts", 5 if n <= 2000 else 1))  # type: ignore[call-overload]
        start = greedy(inst, restarts=restarts, smart=True).slots
    mod = _build(inst, allowed, allow_unplaced=allow_unplaced, opts=opts)

    best: list[int | None] | None = None
    best_breaks: int | None = None
    lb = 0
    statuses: list[str] = []

    def keep(slots: list[int | None]) -> None:
        nonlocal best, best_breaks
        if check(inst, slots, allow_unplaced=allow_unplaced):
            return  # never keep anything the independent checker rejects
        b = _total(count_breaks(inst, slots))
        placed_new = sum(s is not None for s in slots)
        placed_old = -1 if best is None else sum(s is not None for s in best)
        if best is None or (placed_new, -b) > (placed_old, -(best_breaks or 0)):
            best, best_breaks = slots, b

    if not check(inst, start, allow_unplaced=allow_unplaced):
        keep(start)

    if allow_unplaced or not mod.holes:
        st, slots, _bound = _run(mod, start, left(), workers, opts, ub=None)
        statuses.append(st)
        if slots is not None:
            keep(slots)
        proven = st == "OPTIMAL"
        lb = _bound if (proven and not allow_unplaced and _bound is not None) else lb
        if st == "INFEASIBLE":
            return _infeasible(inst, allowed, t0, st)
    else:
        proven = False
        # Stage 1: a schedule without any break?
        share = float(opts.get("probe_share", 0.2))
        st, slots, _ = _run(
            mod, start, min(left(), max(1.0, share * time_limit)), workers, opts, ub=0
        )
        statuses.append(st)
        if slots is not None:
            keep(slots)
            proven = True
        elif st == "INFEASIBLE":
            lb = 1
        # Stage 2: minimise, with the core-based worker raising the lower bound.
        if not proven and left() > 0.5:
            main_share = float(opts.get("main_share", 0.4))
            st, slots, bound = _run(
                mod,
                best or start,
                min(left(), max(1.0, main_share * time_limit)),
                workers,
                opts,
                ub=None,
            )
            statuses.append(st)
            if st == "INFEASIBLE":
                return _infeasible(inst, allowed, t0, st)
            if slots is not None:
                keep(slots)
            if bound is not None:
                lb = max(lb, bound)
            proven = st == "OPTIMAL" or (best_breaks is not None and best_breaks <= lb)
        # Stage 3: "at most lb breaks" on the whole model (a refutation raises lb), taking
        # turns with a break-set search: only the participants in a set C may have breaks,
        # everyone else's day is one block. That restriction lets presolve collapse most
        # of the model, so each try takes a second or two. Improving tries take C = the
        # participants with breaks in the best schedule plus some of their partners and
        # ask for one break fewer; jumping tries take a random C and ask for lb breaks.
        rng = random.Random(int(opts.get("seed", 0)))  # type: ignore[call-overload]  # noqa: S311
        probe_cap = float(opts.get("probe_seconds", 6.0))  # type: ignore[arg-type]
        tries = int(opts.get("lns_tries", 6))  # type: ignore[call-overload]
        refuted = False
        while not proven and left() > 0.5:
            if best_breaks is not None and best_breaks <= lb:
                proven = True
                break
            if not refuted:
                st, slots, _ = _run(
                    mod, best or start, min(left(), probe_cap), workers, opts, ub=lb
                )
                statuses.append(st)
                if slots is not None:
                    keep(slots)
                    proven = best_breaks is not None and best_breaks <= lb
                    continue
                if st == "INFEASIBLE":
                    lb += 1
                    continue
                refuted = True  # unknown: spend the next round on the break-set search
            refuted = False
            for k in range(tries):
                if proven or left() <= 0.5 or best is None or best_breaks is None:
                    break
                slots = _break_set_try(
                    mod, inst, best, best_breaks, lb, k, rng, left(), workers, opts
                )
                if slots is not None:
                    keep(slots)
                    proven = best_breaks is not None and best_breaks <= lb
        if best is None and left() > 0.5:
            st, slots, _ = _run(mod, start, left(), workers, opts, ub=None)
            statuses.append(st)
            if slots is not None:
                keep(slots)

    seconds = time.perf_counter() - t0
    if best is None:
        return Solution(
            slots=[None] * n,
            breaks=0,
            optimal=False,
            seconds=seconds,
            status=statuses[-1] if statuses else "UNKNOWN",
            unplaced_reasons=dict.fromkeys(range(n), "no schedule found within the time limit"),
            bound=lb if not allow_unplaced else None,
        )
    reasons = {
        i: _reason(inst, i, allowed, searched=proven) for i, s in enumerate(best) if s is None
    }
    return Solution(
        slots=best,
        breaks=_total(count_breaks(inst, best)),
        optimal=proven,
        seconds=seconds,
        status="OPTIMAL" if proven else "FEASIBLE",
        unplaced_reasons=reasons,
        bound=None if allow_unplaced else (best_breaks if proven else lb),
    )


def _break_set_try(
    mod: _Model,
    inst: B2BInstance,
    best: list[int | None],
    best_breaks: int,
    lb: int,
    k: int,
    rng: random.Random,
    seconds: float,
    workers: int,
    opts: dict[str, object],
) -> list[int | None] | None:
    """One try of the break-set search (see `solve`); the schedule found, if any."""
    people = sorted(mod.nobreak)
    per = count_breaks(inst, best)
    breakers = {p for p in people if per.get(p, 0) > 0}
    size = int(opts.get("lns_size", 10))  # type: ignore[call-overload]
    jump = k % 2 == 1
    if jump:
        chosen = set(rng.sample(people, min(len(people), size + 2 * lb)))
        target = lb
    else:
        partners = set()
        for a, b, _ in inst.meetings:
            if a in breakers:
                partners.add(b)
            if b in breakers:
                partners.add(a)
        pool = sorted(p for p in partners if p in mod.nobreak and p not in breakers)
        chosen = breakers | set(rng.sample(pool, min(len(pool), size // 2)))
        target = best_breaks - 1
    forced = [mod.nobreak[p] for p in people if p not in chosen]
    step = float(opts.get("lns_seconds", 2.0))  # type: ignore[arg-type]
    _st, slots, _ = _run(
        mod, None if jump else best, min(seconds, step), workers, opts, ub=target, forced=forced
    )
    return slots


def _run(
    mod: _Model,
    hint: list[int | None] | None,
    seconds: float,
    workers: int,
    opts: dict[str, object],
    *,
    ub: int | None,
    forced: list[object] | None = None,
) -> tuple[str, list[int | None] | None, int | None]:
    """One CP-SAT run on a copy of the model, optionally with "at most ub breaks" and some
    literals forced true: (status, slots, bound)."""
    from ortools.sat.python import cp_model

    assert isinstance(mod.model, cp_model.CpModel)
    model = mod.model.clone()
    if ub is not None:
        holes = [model.get_bool_var_from_proto_index(h.index) for h in mod.holes]  # type: ignore[attr-defined]
        model.add(sum(holes) <= ub)
    for lit in forced or ():
        model.add(model.get_bool_var_from_proto_index(lit.index) == 1)  # type: ignore[attr-defined]
    model.clear_hints()
    if hint is not None:
        for var, value in mod.hint_vars:
            try:
                v = value(hint)  # type: ignore[operator]
            except (ValueError, TypeError):
                continue
            if v is None:
                continue
            model.add_hint(model.get_int_var_from_proto_index(var.index), v)  # type: ignore[attr-defined]
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.max_time_in_seconds = max(0.1, seconds)
    prm.num_workers = max(1, workers)
    subsolvers = opts.get("subsolvers")
    if subsolvers is None and workers == 2:
        # The default 2-worker portfolio has no core-based (MaxSAT-style) worker, which is
        # what proves the lower bounds here.
        subsolvers = ["core", "no_lp"] if ub is None else ["no_lp", "default_lp"]
    for name in subsolvers or ():  # type: ignore[union-attr]
        prm.subsolvers.append(name)
    prm.log_search_progress = bool(opts.get("log", False))
    status = solver.solve(model)
    name = solver.status_name(status)
    slots: list[int | None] | None = None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        n = 1 + max((i for i, _s in mod.x), default=-1)
        slots = [None] * n
        for (i, s), v in mod.x.items():
            if solver.boolean_value(model.get_bool_var_from_proto_index(v.index)):  # type: ignore[attr-defined]
                slots[i] = s
    bound = None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) or ub is None:
        with contextlib.suppress(Exception):
            bound = math.ceil(solver.best_objective_bound - 1e-6)
    return name, slots, bound


def _infeasible(inst: B2BInstance, allowed: list[list[int]], t0: float, status: str) -> Solution:
    n = len(inst.meetings)
    return Solution(
        slots=[None] * n,
        breaks=0,
        optimal=False,
        seconds=time.perf_counter() - t0,
        status=status,
        unplaced_reasons={i: _reason(inst, i, allowed, searched=True) for i in range(n)},
    )
