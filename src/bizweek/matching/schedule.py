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


def _stars(n: int, meetings: list[tuple[int, int, int]], by_person: dict[int, list[int]]):
    """Split the meetings into stars: the not yet covered meetings of one participant, the
    participant with most of them first. At most one meeting of a star takes a slot, so the
    table limit can count active stars instead of meetings (Bofill et al., section 4.5.2)."""
    count = {p: len(ms) for p, ms in by_person.items()}
    heap = [(-c, p) for p, c in count.items() if c]
    heapq.heapify(heap)
    taken = [False] * n
    stars: list[list[int]] = []
    while heap:
        c, p = heapq.heappop(heap)
        if -c != count[p]:
            if count[p]:
                heapq.heappush(heap, (-count[p], p))
            continue
        star = [i for i in by_person[p] if not taken[i]]
        for i in star:
            taken[i] = True
            a, b, _ = meetings[i]
            count[b if a == p else a] -= 1
        count[p] = 0
        stars.append(star)
    return stars


def _build(
    inst: B2BInstance,
    allowed: list[list[int]],
    *,
    allow_unplaced: bool,
    runs: bool = False,
) -> _Model:
    """Bofill et al.'s Boolean model ("imp12+", JAIR 2022) as CP-SAT constraints.

    x[i, s]     meeting i is in slot s (only for slots it may take);
    used[p, s]  participant p meets in slot s (the sum of its x in s, so at most one);
    held[p, s]  p has met in some slot <= s;
    hole[p, s]  a break of p ends at s: used[p, s], not used[p, s-1], held[p, s-1].
    The objective is the number of holes. Implied constraints the paper found to matter, and
    so did we: a participant uses exactly as many slots as it has meetings; the participants
    busy in a slot are an even number, at most 2 x tables; the table limit counts stars.
    Plain Booleans and clauses are what CP-SAT's core-based (MaxSAT-style) worker is good
    at: it proves 19 of the 20 published instances optimal in seconds, where a richer
    integer model (spans, blocks, cumulative) needed minutes or never got there.

    With `runs`, each participant's day is also a set of maximal runs of consecutive
    meetings (one Boolean per start and length). That model is slow to search, but its LP
    relaxation proves the lower bound the Boolean model misses on tightly packed one-session
    instances (tic-13crafc), by counting how many participants can be idle in mid-day slots.
    """
    from ortools.sat.python import cp_model

    n = len(inst.meetings)
    S = inst.n_slots
    by_person = inst.participant_meetings()
    m = cp_model.CpModel()
    hint_vars: list[tuple[object, object]] = []
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    placed: dict[int, object] = {}
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
                placed[i] = pv
                hint_vars.append((pv, lambda sl, i=i: int(sl[i] is not None)))
        else:
            m.add_exactly_one(lits)

    # Tables: at most n_tables active stars per slot.
    active: dict[int, list[object]] = defaultdict(list)
    for star in _stars(n, inst.meetings, by_person):
        for s in range(1, S + 1):
            vs = [x[i, s] for i in star if (i, s) in x]
            if len(vs) == 1:
                active[s].append(vs[0])
            elif vs:
                a = m.new_bool_var("")
                m.add(sum(vs) == a)
                active[s].append(a)
                hint_vars.append((a, lambda sl, star=star, s=s: int(any(sl[i] == s for i in star))))
    for vs in active.values():
        if len(vs) > inst.n_tables:
            m.add(sum(vs) <= inst.n_tables)
    for members, capacity in inst.capacity_groups:
        for slot in range(1, S + 1):
            vs = [x[i, slot] for i in members if (i, slot) in x]
            if len(vs) > capacity.get(slot, 0):
                m.add(sum(vs) <= capacity.get(slot, 0))

    def busy_of(p: int):  # local helper for the hint functions
        mine = by_person[p]
        return lambda sl: {sl[i] for i in mine if sl[i] is not None}

    d = inst.max_breaks
    someone_idle = any(len(ms) <= 1 for ms in by_person.values())
    holes_all: list[object] = []
    breaks_of: dict[int, object] = {}
    busy_in: dict[int, list[object]] = defaultdict(list)
    for p, ms in by_person.items():
        busy = busy_of(p)
        used: dict[int, object] = {}
        for s in range(1, S + 1):
            vs = [x[i, s] for i in ms if (i, s) in x]
            if len(vs) == 1:
                used[s] = vs[0]
            elif vs:
                u = m.new_bool_var(f"u{p}_{s}")
                m.add(sum(vs) == u)
                used[s] = u
                hint_vars.append((u, lambda sl, s=s, busy=busy: int(s in busy(sl))))
            if s in used:
                busy_in[s].append(used[s])
        if len(ms) <= 1 or not used:
            breaks_of[p] = 0
            continue
        if allow_unplaced:
            m.add(sum(used.values()) == sum(placed[i] for i in ms if i in placed))
        else:
            m.add(sum(used.values()) == len(ms))
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
        breaks_of[p] = sum(holes) if holes else 0
        holes_all.extend(holes)
        if someone_idle and len(holes) > d:
            m.add(sum(holes) <= d)
        if runs and holes:
            _add_runs(m, hint_vars, used, holes, len(ms), S, busy)

    # Busy participants per slot: twice the meetings there, so even and at most 2 x tables.
    for s, us in busy_in.items():
        k = m.new_int_var(0, min(inst.n_tables, len(us) // 2), f"busy{s}")
        m.add(sum(us) == 2 * k)
        hint_vars.append((k, lambda sl, s=s: sum(1 for t in sl if t == s)))

    if not someone_idle:
        lo_b = m.new_int_var(0, S, "min_breaks")
        hi_b = m.new_int_var(0, S, "max_breaks")
        for b in breaks_of.values():
            m.add(lo_b <= b)
            m.add(hi_b >= b)
        m.add(hi_b - lo_b <= d)

    total_breaks = sum(holes_all) if holes_all else 0
    if allow_unplaced:
        # Lexicographic: one more placed meeting outweighs any number of breaks.
        weight = len(holes_all) + 1
        m.minimize(weight * sum(1 - pv for pv in placed.values()) + total_breaks)
    else:
        m.minimize(total_breaks)
    return _Model(model=m, x=x, hint_vars=hint_vars, holes=holes_all)


def _add_runs(
    m: object,
    hint_vars: list[tuple[object, object]],
    used: dict[int, object],
    holes: list[object],
    k: int,
    S: int,
    busy: object,
) -> None:
    """The run-pattern view of one participant's day (see `_build`)."""
    y: dict[tuple[int, int], object] = {}
    for length in range(1, k + 1):
        for s in range(1, S - length + 2):
            if all(t in used for t in range(s, s + length)):
                v = m.new_bool_var("")  # type: ignore[attr-defined]
                y[s, length] = v
                hint_vars.append(
                    (v, lambda sl, s=s, ln=length, busy=busy: int((s, ln) in _runs(busy(sl))))  # type: ignore[operator]
                )
    cover: dict[int, list[object]] = defaultdict(list)
    begin: dict[int, list[object]] = defaultdict(list)
    end: dict[int, list[object]] = defaultdict(list)
    for (s, length), v in y.items():
        for t in range(s, s + length):
            cover[t].append(v)
        begin[s].append(v)
        end[s + length - 1].append(v)
    for t, u in used.items():
        m.add(u == sum(cover[t]))  # type: ignore[attr-defined]
    for t in range(1, S):
        if end[t] and begin[t + 1]:
            m.add(sum(end[t]) + sum(begin[t + 1]) <= 1)  # type: ignore[attr-defined]
    m.add(sum(y.values()) == 1 + sum(holes))  # type: ignore[attr-defined]


def _runs(busy: set[int]) -> list[tuple[int, int]]:
    """(start, length) of each block of consecutive slots, in order."""
    out: list[tuple[int, int]] = []
    for s in sorted(busy):
        if out and out[-1][0] + out[-1][1] == s:
            out[-1] = (out[-1][0], out[-1][1] + 1)
        else:
            out.append((s, 1))
    return out


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

    Why two models taking turns: the core-based worker on the Boolean model (stage A) finds
    and proves the optimum of most instances within seconds, but on tightly packed
    one-session days it finds the optimum without proving it. The run-pattern model, asked
    for one break fewer than the best so far (stage B), proves those within seconds through
    its LP, while being slow to find schedules itself. So the stages alternate in growing
    slices, each hinted with the best schedule so far, until the bounds meet.
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
    mod = _build(inst, allowed, allow_unplaced=allow_unplaced)

    best: list[int | None] | None = None
    best_breaks: int | None = None
    lb = 0
    statuses: list[str] = []

    def keep(slots: list[int | None] | None) -> None:
        nonlocal best, best_breaks
        if slots is None or check(inst, slots, allow_unplaced=allow_unplaced):
            return  # never keep anything the independent checker rejects
        b = _total(count_breaks(inst, slots))
        placed_new = sum(s is not None for s in slots)
        placed_old = -1 if best is None else sum(s is not None for s in best)
        if best is None or (placed_new, -b) > (placed_old, -(best_breaks or 0)):
            best, best_breaks = slots, b

    keep(start)
    core = ["core", "no_lp"]
    if allow_unplaced or not mod.holes:
        st, slots, bound = _run(mod, start, left(), workers, opts, ub=None, subsolvers=core)
        statuses.append(st)
        if st == "INFEASIBLE":
            return _infeasible(inst, allowed, t0, st)
        keep(slots)
        proven = st == "OPTIMAL"
        if proven and not allow_unplaced and bound is not None:
            lb = bound
    else:
        proven = False
        slice_a = float(opts.get("slice_a", 30.0))  # type: ignore[arg-type]
        slice_b = float(opts.get("slice_b", 4.0))  # type: ignore[arg-type]
        pattern: _Model | None = None
        while not proven and left() > 0.2:
            # Stage A: minimise on the Boolean model; the core worker raises the bound.
            st, slots, bound = _run(
                mod,
                best or start,
                min(left(), slice_a),
                workers,
                opts,
                ub=None,
                subsolvers=core,
                stall=float(opts.get("stall", 2.0)),  # type: ignore[arg-type]
            )
            statuses.append(st)
            if st == "INFEASIBLE":
                return _infeasible(inst, allowed, t0, st)
            keep(slots)
            if bound is not None:
                lb = max(lb, bound)
            proven = st == "OPTIMAL" or (best_breaks is not None and best_breaks <= lb)
            if proven or best is None or best_breaks is None or left() <= 0.2:
                break
            # Stage B: one break fewer than the best, on the run-pattern model.
            if pattern is None:
                pattern = _build(inst, allowed, allow_unplaced=False, runs=True)
            st, slots, bound = _run(
                pattern,
                best,
                min(left(), slice_b),
                workers,
                opts,
                ub=best_breaks - 1,
                subsolvers=["default_lp", "max_lp"],
            )
            statuses.append(st)
            keep(slots)
            if st == "INFEASIBLE":
                lb = max(lb, best_breaks)
            elif bound is not None:
                lb = max(lb, min(bound, best_breaks))
            proven = best_breaks <= lb
            slice_a *= 1.5
            slice_b *= 1.5

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


def _run(
    mod: _Model,
    hint: list[int | None] | None,
    seconds: float,
    workers: int,
    opts: dict[str, object],
    *,
    ub: int | None,
    subsolvers: list[str] | None = None,
    stall: float | None = None,
) -> tuple[str, list[int | None] | None, int | None]:
    """One CP-SAT run on a copy of the model, optionally with "at most ub breaks":
    (status, slots, lower bound). With `stall`, the run stops early once the best schedule
    is within one break of the bound and neither has moved for `stall` seconds: then only
    the proof is missing, which the run-pattern model does better."""
    from ortools.sat.python import cp_model

    assert isinstance(mod.model, cp_model.CpModel)
    model = mod.model.clone()
    if ub is not None:
        holes = [model.get_bool_var_from_proto_index(h.index) for h in mod.holes]  # type: ignore[attr-defined]
        model.add(sum(holes) <= ub)
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
    chosen = opts.get("subsolvers", subsolvers)
    if chosen and workers == 2:
        # The default 2-worker portfolio has neither a core-based (MaxSAT-style) worker nor
        # the strong LP, which are what prove the lower bounds here.
        for name in chosen:  # type: ignore[union-attr]
            prm.subsolvers.append(name)
    if "seed" in opts:
        prm.random_seed = int(opts["seed"])  # type: ignore[call-overload]
    prm.log_search_progress = bool(opts.get("log", False))
    status = solver.solve(model) if stall is None else _solve_watched(solver, model, stall)
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


def _solve_watched(solver: object, model: object, stall: float) -> int:
    """`solver.solve(model)`, stopped once the gap is at most one and nothing moved for
    `stall` seconds (see `_run`)."""
    import threading

    from ortools.sat.python import cp_model

    assert isinstance(solver, cp_model.CpSolver)
    state = {"moved": time.perf_counter(), "best": math.inf, "bound": -math.inf}
    done = threading.Event()

    class Progress(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            state["best"] = self.objective_value
            state["moved"] = time.perf_counter()

    def on_bound(bound: float) -> None:
        state["bound"] = bound
        state["moved"] = time.perf_counter()

    def watch() -> None:
        while not done.wait(0.2):
            gap = state["best"] - state["bound"]
            if gap <= 1 + 1e-6 and time.perf_counter() - state["moved"] > stall:
                solver.stop_search()
                return

    solver.best_bound_callback = on_bound
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        return solver.solve(model, Progress())
    finally:
        done.set()
        watcher.join()


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
