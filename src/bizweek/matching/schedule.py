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
        out[p] = sum(1 for x, y in zip(ordered, ordered[1:]) if y > x + 1)
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


def greedy(instance: B2BInstance, *, seed: int = 0, restarts: int = 20) -> Solution:
    """First feasible slot, most constrained meeting first, randomized restarts.

    The baseline beside the solver, and a quick fallback. It ignores breaks and fairness
    while placing; of all restarts it keeps the one that places most meetings, then is fair,
    then has fewest breaks.
    """
    t0 = time.perf_counter()
    rng = random.Random(seed)
    n = len(instance.meetings)
    allowed = [instance.allowed_slots(i) for i in range(n)]
    load: dict[int, int] = defaultdict(int)
    for a, b, _ in instance.meetings:
        load[a] += 1
        load[b] += 1
    best: tuple[tuple[int, int, int], list[int | None]] | None = None
    for r in range(max(1, restarts)):
        noise = [rng.random() if r else 0.0 for _ in range(n)]
        order = sorted(
            range(n),
            key=lambda i: (
                i not in instance.fixed,
                len(allowed[i]) - 0.5 * noise[i],
                -(load[instance.meetings[i][0]] + load[instance.meetings[i][1]]),
                noise[i],
            ),
        )
        busy: set[tuple[int, int]] = set()
        used_tables: dict[int, int] = defaultdict(int)
        slots: list[int | None] = [None] * n
        for i in order:
            a, b, _ = instance.meetings[i]
            for s in allowed[i]:
                if (a, s) in busy or (b, s) in busy or used_tables[s] >= instance.n_tables:
                    continue
                slots[i] = s
                busy.add((a, s))
                busy.add((b, s))
                used_tables[s] += 1
                break
        breaks = count_breaks(instance, slots)
        unfair = int(
            bool(breaks) and max(breaks.values()) - min(breaks.values()) > instance.max_breaks
        )
        key = (sum(s is None for s in slots), unfair, _total(breaks))
        if best is None or key < best[0]:
            best = (key, slots)
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


def solve(
    instance: B2BInstance,
    *,
    time_limit: float = 60,
    workers: int = 2,
    hint: list[int] | None = None,
    allow_unplaced: bool = False,
) -> Solution:
    """Minimise the total breaks with CP-SAT; stop at the time limit and keep the best found.

    With `allow_unplaced` the number of placed meetings is maximised first (lexicographically,
    through a weight larger than any possible number of breaks) and every meeting left out
    gets a reason; otherwise all meetings must be placed.
    """
    from ortools.sat.python import cp_model

    t0 = time.perf_counter()
    inst = instance
    n = len(inst.meetings)
    S = inst.n_slots
    allowed = [inst.allowed_slots(i) for i in range(n)]
    by_person = inst.participant_meetings()

    # A hint, and the fallback if CP-SAT finds nothing in time.
    if hint is None:
        heur = greedy(inst, restarts=10)
        hint_slots: list[int | None] = list(heur.slots)
    else:
        hint_slots = list(hint)

    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    placed: list[cp_model.IntVar | None] = [None] * n
    for i in range(n):
        for s in allowed[i]:
            x[i, s] = model.new_bool_var(f"x{i}_{s}")
        lits = [x[i, s] for s in allowed[i]]
        if allow_unplaced:
            if lits:
                pv = model.new_bool_var(f"placed{i}")
                model.add(sum(lits) == pv)
                placed[i] = pv
        else:
            if not lits:
                return _infeasible(inst, allowed, t0, "INFEASIBLE")
            model.add_exactly_one(lits)

    # Tables.
    per_slot: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for (_i, s), v in x.items():
        per_slot[s].append(v)
    for _s, vs in per_slot.items():
        if len(vs) > inst.n_tables:
            model.add(sum(vs) <= inst.n_tables)

    # used[p, s]: p meets in slot s (at most one meeting). start[p, s]: a block of consecutive
    # meetings of p starts at s. Breaks of p = blocks - 1 when p meets at all.
    blocks: dict[int, cp_model.LinearExpr] = {}
    breaks_expr: dict[int, cp_model.LinearExpr | int] = {}
    used_vars: dict[tuple[int, int], cp_model.IntVar] = {}
    start_vars: dict[tuple[int, int], cp_model.IntVar] = {}
    for p, ms in by_person.items():
        if not ms:
            breaks_expr[p] = 0
            continue
        used: dict[int, cp_model.IntVar] = {}
        for s in range(1, S + 1):
            vs = [x[i, s] for i in ms if (i, s) in x]
            if not vs:
                continue
            if len(vs) == 1:
                used[s] = vs[0]
            else:
                u = model.new_bool_var(f"u{p}_{s}")
                model.add(sum(vs) == u)
                used[s] = u
            used_vars[p, s] = used[s]
        starts = []
        for s, u in used.items():
            prev = used.get(s - 1)
            if prev is None:
                starts.append(u)  # nothing possible just before: a block starts iff used
                start_vars[p, s] = u
                continue
            st = model.new_bool_var(f"st{p}_{s}")
            # st <-> u and not prev
            model.add_bool_or([st, u.Not(), prev])
            model.add_implication(st, u)
            model.add_implication(st, prev.Not())
            starts.append(st)
            start_vars[p, s] = st
        nb = sum(starts)
        blocks[p] = nb
        if allow_unplaced:
            anyp = model.new_bool_var(f"any{p}")
            model.add(anyp <= sum(used.values()))
            model.add(anyp <= nb)
            breaks_expr[p] = nb - anyp
        else:
            model.add(nb >= 1)
            breaks_expr[p] = nb - 1
        # A participant never has more blocks than meetings.
        model.add(nb <= len(ms))

    # Fairness.
    d = inst.max_breaks
    someone_idle = any(len(ms) <= 1 for ms in by_person.values())
    if someone_idle:
        for p, ms in by_person.items():
            if len(ms) >= 2:
                model.add(breaks_expr[p] <= d)
    else:
        lo = model.new_int_var(0, S, "min_breaks")
        hi = model.new_int_var(0, S, "max_breaks")
        for p in by_person:
            model.add(lo <= breaks_expr[p])
            model.add(hi >= breaks_expr[p])
        model.add(hi - lo <= d)

    # Identical meetings (same pair, same domain) are interchangeable: order them.
    twins: dict[tuple[int, int, tuple[int, ...]], list[int]] = defaultdict(list)
    for i, (a, b, _s) in enumerate(inst.meetings):
        if i not in inst.fixed:
            twins[(min(a, b), max(a, b), tuple(allowed[i]))].append(i)
    for group in twins.values():
        for i, j in zip(group, group[1:]):
            if allow_unplaced:
                continue
            si = sum(s * x[i, s] for s in allowed[i])
            sj = sum(s * x[j, s] for s in allowed[j])
            model.add(si < sj)

    total_breaks = sum(breaks_expr[p] for p in by_person)
    if allow_unplaced:
        weight = sum(max(0, len(ms) - 1) for ms in by_person.values()) + 1
        model.minimize(weight * sum(1 - pv for pv in placed if pv is not None) + total_breaks)
    else:
        model.minimize(total_breaks)

    # Hint every variable, not only the slots: a partial hint barely helps CP-SAT.
    if hint_slots and len(hint_slots) == n:
        busy = defaultdict(set)
        for i, s in enumerate(hint_slots):
            if s is not None and (i, s) in x:
                a, b, _ = inst.meetings[i]
                busy[a].add(s)
                busy[b].add(s)
        for (i, s), v in x.items():
            model.add_hint(v, hint_slots[i] == s)
        for (p, s), v in start_vars.items():
            if (p, s) not in used_vars or used_vars[p, s] is not v:
                model.add_hint(v, s in busy[p] and (s - 1) not in busy[p])
        for (p, s), v in used_vars.items():
            if not any(v is x.get((i, s)) for i in by_person[p]):
                model.add_hint(v, s in busy[p])

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit - (time.perf_counter() - t0))
    solver.parameters.num_workers = max(1, workers)
    import os

    solver.parameters.log_search_progress = bool(os.environ.get("B2BLOG"))
    status = solver.solve(model)
    name = solver.status_name(status)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        slots: list[int | None] = [None] * n
        for (i, s), v in x.items():
            if solver.boolean_value(v):
                slots[i] = s
        reasons = {}
        if allow_unplaced:
            reasons = {
                i: _reason(inst, i, allowed, searched=status == cp_model.OPTIMAL)
                for i in range(n)
                if slots[i] is None
            }
        brk = _total(count_breaks(inst, slots))
        bound = int(round(solver.best_objective_bound)) if not allow_unplaced else None
        return Solution(
            slots=slots,
            breaks=brk,
            optimal=status == cp_model.OPTIMAL,
            seconds=time.perf_counter() - t0,
            status=name,
            unplaced_reasons=reasons,
            bound=bound,
        )
    if status == cp_model.INFEASIBLE:
        return _infeasible(inst, allowed, t0, name)
    # Nothing found in time: fall back to the heuristic schedule when it is valid.
    if (
        hint_slots
        and len(hint_slots) == n
        and not check(inst, hint_slots, allow_unplaced=allow_unplaced)
    ):
        reasons = {
            i: _reason(inst, i, allowed, searched=False)
            for i, s in enumerate(hint_slots)
            if s is None
        }
        return Solution(
            slots=hint_slots,
            breaks=_total(count_breaks(inst, hint_slots)),
            optimal=False,
            seconds=time.perf_counter() - t0,
            status="HEURISTIC",
            unplaced_reasons=reasons,
        )
    return Solution(
        slots=[None] * n,
        breaks=0,
        optimal=False,
        seconds=time.perf_counter() - t0,
        status=name,
        unplaced_reasons={i: "no schedule found within the time limit" for i in range(n)},
    )


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
