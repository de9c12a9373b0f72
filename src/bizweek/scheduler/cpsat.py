"""Optimal B2B meeting scheduling with OR-Tools CP-SAT (the problem: see ``problem.py``).

The module is pure Python plus OR-Tools (no Django), so the ``bizweek solve-b2b`` command,
``bench/schedule.py`` and the web app share one solver. The problem definition, the
``.dzn`` parser and the independent checker live in ``problem.py``, the greedy baseline in
``greedy_start.py``; they are re-exported here so callers import one module.
"""

from __future__ import annotations

import contextlib
import heapq
import math
import time
from collections import defaultdict
from dataclasses import dataclass

from .greedy_start import greedy
from .problem import (
    SESSION_AFTERNOON,
    SESSION_ANY,
    SESSION_MORNING,
    B2BInstance,
    Solution,
    check,
    count_breaks,
    finished,
    parse_dzn,
    total_breaks,
    unplaced_reason,
)

__all__ = [
    "SESSION_AFTERNOON",
    "SESSION_ANY",
    "SESSION_MORNING",
    "B2BInstance",
    "Solution",
    "check",
    "count_breaks",
    "greedy",
    "parse_dzn",
    "solve",
]


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
        b = total_breaks(count_breaks(inst, slots))
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
    return finished(
        inst,
        best,
        allowed,
        searched=proven,
        optimal=proven,
        seconds=seconds,
        status="OPTIMAL" if proven else "FEASIBLE",
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
        unplaced_reasons={i: unplaced_reason(inst, i, allowed, searched=True) for i in range(n)},
    )
