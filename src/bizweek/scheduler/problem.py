"""The business-to-business meeting scheduling problem: instances, schedules, checking.

The problem is that of Bofill et al., "Constraint Solving Approaches to the
Business-to-Business Meeting Scheduling Problem", JAIR 74 (2022). Every meeting between two
participants gets one slot such that nobody is in two meetings at once, at most ``n_tables``
meetings share a slot, nobody meets in a slot they marked forbidden, morning-only (session 1)
and afternoon-only (session 2) meetings stay in their session, and the numbers of breaks of
any two participants differ by at most ``max_breaks``. A break is a run of idle slots between
two meetings of one participant; the total number of breaks is minimised.

This module holds what every solver shares and what checks them: the instance, the solution,
the published ``.dzn`` format, and a feasibility checker written from the problem statement
alone. Participants and slots are 1-based as in the ``.dzn`` files; meetings are 0-based.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field

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
    # Participants left above their fairness cap, and why (the neighbourhood search's
    # `repair_over_cap`: "own meetings" proven unreachable, "neighbourhood" proven so with
    # the rest of the day fixed, "not found" or "time").
    over_cap_reasons: dict[int, str] = field(default_factory=dict)

    @property
    def placed(self) -> int:
        return sum(1 for s in self.slots if s is not None)


def finished(
    instance: B2BInstance,
    slots: list[int | None],
    allowed: list[list[int]],
    *,
    searched: bool,
    optimal: bool,
    seconds: float,
    status: str,
    bound: int | None = None,
) -> Solution:
    """A schedule as every solver reports it: its breaks counted by the same rules, and a
    reason for each meeting left out (`searched`: a search proved there is no room)."""
    reasons = {
        i: unplaced_reason(instance, i, allowed, searched=searched)
        for i, slot in enumerate(slots)
        if slot is None
    }
    return Solution(
        slots=slots,
        breaks=total_breaks(count_breaks(instance, slots)),
        optimal=optimal,
        seconds=seconds,
        status=status,
        unplaced_reasons=reasons,
        bound=bound,
    )


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


def _sets_per_participant(text: str, key: str, n_business: int) -> list[list[int]] | None:
    """An optional field holding one set per participant (None when the file has none)."""
    raw = _dzn_value(text, key)
    if raw is None:
        return None
    sets = _dzn_sets(raw)
    if len(sets) != n_business:
        raise ValueError(f"{key} has {len(sets)} sets, expected {n_business}")
    return sets


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

    sets = _sets_per_participant(text, "meetingsxBusiness", n_business)
    if sets is not None:
        for p, listed in enumerate(sets, start=1):
            plain = {i + 1 for i in derived[p]}
            shifted = {1} | {i + 2 for i in derived[p]}  # the published files' layout
            if set(listed) not in (plain, shifted):
                raise ValueError(f"participant {p}: meetingsxBusiness disagrees with requested")

    sets = _sets_per_participant(text, "forbidden", n_business)
    if sets is not None:
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
    instance: B2BInstance,
    slots: list[int | None],
    *,
    allow_unplaced: bool = False,
    fairness: bool = True,
) -> list[str]:
    """Every rule the schedule breaks, as readable lines; an empty list means feasible.
    `fairness=False` leaves out the fairness rule (the hard rules alone)."""
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
    if breaks and fairness:
        lo = min(breaks.values())
        hi_p = max(breaks, key=lambda p: breaks[p])
        if breaks[hi_p] - lo > instance.max_breaks:
            problems.append(
                f"fairness: participant {hi_p} has {breaks[hi_p]} breaks, the least is {lo} "
                f"(allowed difference {instance.max_breaks})"
            )
    return problems


def total_breaks(breaks: dict[int, int]) -> int:
    return sum(breaks.values())


def unplaced_reason(
    instance: B2BInstance, i: int, allowed: list[list[int]], *, searched: bool
) -> str:
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
