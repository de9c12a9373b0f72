"""Large-neighbourhood search for days too big for one CP-SAT model (thousands of meetings).

The whole-day model of ``cpsat.py`` proves the published optima of events with a few hundred
meetings, but at 10,000 meetings it does not even finish its first schedule in two minutes.
Here the day starts from the plain greedy schedule (all meetings placed in under a second,
many breaks, many companies over the fairness cap) and is improved piece by piece: a small
group of participants is picked, all their meetings are freed, everything else stays fixed,
and CP-SAT re-schedules the freed meetings to place more, bring companies back within the
cap and remove breaks, counting the breaks of everyone touched. A change is kept only when
it is no worse; every schedule returned has been through the independent checker.

The lower bound is a relaxation per participant (see `participant_lower_bound`): the fewest
runs of consecutive slots its own free slots allow, ignoring everyone else.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .greedy_start import _cap_applies, greedy
from .problem import B2BInstance, Solution, check, count_breaks, finished

# Objective weights: one more meeting placed outweighs any fairness excess, which outweighs
# any number of breaks inside one neighbourhood.
_W_PLACE = 1_000_000
_W_OVER = 1_000


@dataclass
class Progress:
    """What a long run reports while it works (the organizer page and the CLI show it)."""

    placed: int
    total: int
    placeable: int
    breaks: int | None  # None: not known yet
    over_cap: int | None
    bound: int | None
    greedy_breaks: int | None
    elapsed: float
    time_left: float
    rounds: int = 0


@dataclass
class _State:
    inst: B2BInstance
    allowed: list[list[int]]
    slots: list[int | None]
    caps: dict[int, int] | None
    mine: dict[int, list[int]] = field(default_factory=dict)
    busy: dict[int, dict[int, int]] = field(default_factory=dict)  # p -> slot -> meeting
    at: list[int] = field(default_factory=list)  # meetings per slot
    group_use: list[list[int]] = field(default_factory=list)  # capacity group -> slot -> used
    breaks: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        inst = self.inst
        self.mine = inst.participant_meetings()
        self.busy = {p: {} for p in self.mine}
        self.at = [0] * (inst.n_slots + 2)
        self.group_use = [[0] * (inst.n_slots + 2) for _ in inst.capacity_groups]
        self.member_of: list[list[int]] = [[] for _ in inst.meetings]
        for g, (members, _cap) in enumerate(inst.capacity_groups):
            for i in members:
                self.member_of[i].append(g)
        for i, s in enumerate(self.slots):
            if s is not None:
                self._add(i, s)
        self.breaks = {p: self.breaks_of(p) for p in self.mine}

    def _add(self, i: int, s: int) -> None:
        a, b, _ = self.inst.meetings[i]
        self.busy[a][s] = i
        self.busy[b][s] = i
        self.at[s] += 1
        for g in self.member_of[i]:
            self.group_use[g][s] += 1

    def _remove(self, i: int, s: int) -> None:
        a, b, _ = self.inst.meetings[i]
        del self.busy[a][s], self.busy[b][s]
        self.at[s] -= 1
        for g in self.member_of[i]:
            self.group_use[g][s] -= 1

    def breaks_of(self, p: int) -> int:
        used = sorted(self.busy[p])
        return sum(1 for x, y in itertools.pairwise(used) if y > x + 1)

    def apply(self, changes: dict[int, int | None]) -> None:
        touched: set[int] = set()
        for i in changes:
            old = self.slots[i]
            if old is not None:
                self._remove(i, old)
        for i, s in changes.items():
            self.slots[i] = s
            if s is not None:
                self._add(i, s)
            a, b, _ = self.inst.meetings[i]
            touched.update((a, b))
        for p in touched:
            self.breaks[p] = self.breaks_of(p)

    def over(self, p: int) -> int:
        return 0 if self.caps is None else max(0, self.breaks[p] - self.caps[p])

    def score(self) -> tuple[int, int, int]:
        """(meetings left out, breaks above the cap, breaks): smaller is better."""
        unplaced = sum(1 for s in self.slots if s is None)
        return unplaced, sum(self.over(p) for p in self.mine), sum(self.breaks.values())


def participant_lower_bound(
    inst: B2BInstance, allowed: list[list[int]], p: int, ms: list[int]
) -> int:
    """Fewest breaks participant p can have, whoever else is in the day.

    Its k meetings need k distinct slots among those any of them may use; those slots form
    maximal runs, and k slots cannot lie in fewer runs than the fewest of the longest runs
    adding up to k. A relaxation (partners, tables and which meeting takes which slot are
    ignored), so the sum over participants is a lower bound on the day's breaks.
    """
    k = len(ms)
    if k <= 1:
        return 0
    free = sorted({s for i in ms for s in allowed[i]})
    runs: list[int] = []
    for j, s in enumerate(free):
        if j and s == free[j - 1] + 1:
            runs[-1] += 1
        else:
            runs.append(1)
    runs.sort(reverse=True)
    total, used = 0, 0
    for length in runs:
        total += length
        used += 1
        if total >= k:
            return used - 1
    return max(0, used - 1)  # not enough slots at all: some meeting stays out anyway


def fits_within(
    inst: B2BInstance, allowed: list[list[int]], ms: list[int], breaks: int, seconds: float = 1.0
) -> bool | None:
    """Whether one participant's meetings `ms` can have at most `breaks` breaks when only they
    are scheduled: each in a slot both sides may use, one per slot (tables and the partners'
    other meetings ignored). False proves no schedule of the day gives it that few; None:
    not decided within `seconds`. Tighter than `participant_lower_bound`, which does not
    know which meeting may take which slot. A tiny CP-SAT feasibility model."""
    from ortools.sat.python import cp_model

    if len(ms) <= 1:
        return True
    m = cp_model.CpModel()
    used: dict[int, list[object]] = {}
    for i in ms:
        lits = []
        for s in allowed[i]:
            v = m.new_bool_var("")
            lits.append(v)
            used.setdefault(s, []).append(v)
        if not lits:
            return True  # that meeting stays out anyway: not a question of breaks
        m.add_exactly_one(lits)
    u: dict[int, object] = {}
    for s, vs in used.items():
        u[s] = m.new_bool_var("")
        m.add(sum(vs) == u[s])  # type: ignore[arg-type]
    starts = []
    for s in sorted(u):
        st = m.new_bool_var("")
        m.add(st >= u[s] - u[s - 1] if s - 1 in u else st >= u[s])  # type: ignore[operator]
        starts.append(st)
    m.add(sum(starts) <= breaks + 1)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 1
    status = solver.solve(m)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return True
    return False if status == cp_model.INFEASIBLE else None


def lower_bound(inst: B2BInstance, allowed: list[list[int]] | None = None) -> int:
    """Sum of the per-participant bounds (see `participant_lower_bound`)."""
    allowed = allowed or [inst.allowed_slots(i) for i in range(len(inst.meetings))]
    return sum(
        participant_lower_bound(inst, allowed, p, ms)
        for p, ms in inst.participant_meetings().items()
    )


def fairness_caps(inst: B2BInstance, allowed: list[list[int]]) -> dict[int, int] | None:
    """Most breaks each participant may get: `max_breaks`, or more for a participant whose
    own free slots force more (see `participant_lower_bound`): that is its availability, not
    unfairness. None when fairness is not a per-participant cap (nobody has <= 1 meeting)."""
    if not _cap_applies(inst):
        return None
    return {
        p: max(inst.max_breaks, participant_lower_bound(inst, allowed, p, ms))
        for p, ms in inst.participant_meetings().items()
    }


def over_cap(inst: B2BInstance, slots: list[int | None]) -> int:
    """Companies with more breaks than their fairness cap (see `fairness_caps`)."""
    allowed = [inst.allowed_slots(i) for i in range(len(inst.meetings))]
    caps = fairness_caps(inst, allowed)
    if caps is None:
        return 0
    return sum(1 for p, b in count_breaks(inst, slots).items() if b > caps.get(p, inst.max_breaks))


def improve(
    instance: B2BInstance,
    *,
    time_limit: float = 55,
    workers: int = 2,
    start: list[int | None] | None = None,
    seed: int = 0,
    anneal_share: float = 0.75,
    first_share: float = 0.15,
    repair_share: float = 0.5,
    fair_anneal_share: float = 0.9,
    group_size: int = 4,
    max_freed: int = 60,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    report_every: float = 1.0,
    baseline: bool = True,
    merge: bool = True,
) -> Solution:
    """Best schedule found within `time_limit` seconds: a break-aware greedy start with the
    companies whose cap is tight placed first, a short annealing round (until
    `first_share` of the time), the repair of the companies over their cap
    (`repair_over_cap`, until `repair_share` at most), annealing that keeps every cap reached
    (until `anneal_share`, or `fair_anneal_share` when nobody is over the cap any more), a
    second repair of any left, then CP-SAT on small groups of participants. The cap comes
    first because it is a requirement and breaks the objective; the repair's time is taken
    early so that a loaded machine shortens the break polishing, not the repair. Those left
    over the cap are in `Solution.over_cap_reasons`.

    Meetings that cannot be placed stay out with a reason. Fairness is the per-participant
    cap of `fairness_caps`. The lower bound (`Solution.bound`) is given only when every
    meeting that has an allowed slot is placed: it assumes all of them are. `should_stop`
    is polled about every second: when it says yes, the best schedule so far is returned
    with status STOPPED. With `baseline`, plain first-fit greedy runs too, as the baseline
    (`greedy_breaks`) and as the start when it places more.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    inst = instance
    n = len(inst.meetings)
    allowed = [inst.allowed_slots(i) for i in range(n)]
    rng = random.Random(seed)  # noqa: S311 - reproducible search, not security
    caps = fairness_caps(inst, allowed)
    mine = inst.participant_meetings()
    lbs = {p: participant_lower_bound(inst, allowed, p, ms) for p, ms in mine.items()}
    bound = sum(lbs.values())
    placeable = sum(1 for a in allowed if a)
    # The first-fit baseline: shown next to the result, and the start when it places more
    # (its repairs can be slow on days with many meetings that do not fit, hence optional).
    plain = greedy(inst, restarts=1) if baseline else None
    greedy_breaks = plain.breaks if plain is not None else None
    if start is None:
        start = compact_start(inst, allowed, caps or dict.fromkeys(mine, n))
        # First-fit knows no interpreter limits: it is the start only when it places more
        # and keeps them.
        if (
            plain is not None
            and plain.placed > sum(s is not None for s in start)
            and not check(inst, plain.slots, allow_unplaced=True, fairness=False)
        ):
            start = list(plain.slots)
    state = _State(inst, allowed, list(start), caps)
    partners: dict[int, list[int]] = {p: [] for p in state.mine}
    for a, b, _ in inst.meetings:
        partners[a].append(b)
        partners[b].append(a)
    tried: dict[int, int] = dict.fromkeys(state.mine, 0)
    rounds = 0
    stopped = False
    last_report = 0.0

    def report(force: bool = False, breaks: int | None = None, over: int | None = None) -> None:
        nonlocal last_report
        now = time.perf_counter()
        if on_progress is None or (not force and now - last_report < report_every):
            return
        last_report = now
        unplaced = sum(1 for s in state.slots if s is None)
        if breaks is None or over is None:
            breaks = sum(state.breaks.values())
            over = sum(1 for p in state.mine if state.over(p))
        on_progress(
            Progress(
                placed=n - unplaced,
                total=n,
                placeable=placeable,
                breaks=breaks,
                over_cap=over,
                bound=bound if n - unplaced >= placeable else None,  # see `improve`
                greedy_breaks=greedy_breaks,
                elapsed=now - t0,
                time_left=max(0.0, deadline - now),
                rounds=rounds,
            )
        )

    def tick(breaks: int, over: int) -> bool:
        nonlocal stopped
        report(breaks=breaks, over=over)
        if should_stop is not None and should_stop():
            stopped = True
        return stopped

    report(force=True)
    # Cap first: the cap is a requirement, breaks are the objective. A short first annealing
    # round (soft caps) brings most companies within their cap; the repair then takes the
    # rest while there is time, whatever the machine load; the later rounds keep every cap
    # hard (nobody within it is pushed over) and only lower breaks; a second repair takes
    # what the first left; the group search, which keeps caps too, polishes the breaks.
    rounds_ = 3 if merge else 1
    anneal_end = t0 + (deadline - t0) * anneal_share
    first_end = t0 + time_limit * first_share if rounds_ > 1 else anneal_end
    repair_reasons: dict[int, str] = {}

    def merge_over() -> None:
        if not merge or state.caps is None or stopped:
            return
        for p in [p for p in state.mine if state.over(p)]:
            if time.perf_counter() > deadline - 0.5:
                break
            while state.over(p) and merge_runs(state, p):
                pass
        report(force=True)

    def repair_until(end: float) -> None:
        nonlocal repair_reasons
        if state.caps is None or stopped or not any(state.over(p) for p in state.mine):
            repair_reasons = {}
            return
        repair_reasons = repair_over_cap(
            state, partners, end, workers, rng, should_stop=should_stop
        )
        report(force=True)

    for round_ in range(rounds_):
        if not n or stopped:
            break
        hot = 0.5 * 0.1 ** (round_ / rounds_)  # one cooling schedule over all rounds
        cold = 0.5 * 0.1 ** ((round_ + 1) / rounds_)
        if round_ and not any(state.over(p) for p in state.mine):
            # Nobody over the cap: no second repair to keep time for. Annealing lowers the
            # breaks of a big day faster than the group search does.
            anneal_end = max(anneal_end, t0 + (deadline - t0) * fair_anneal_share)
        end = first_end if round_ == 0 else anneal_end
        anneal(
            state,
            (end - time.perf_counter()) / (1 if round_ == 0 else rounds_ - round_),
            rng,
            tick=tick,
            t_start=hot,
            t_end=cold,
            keep_caps=round_ > 0,
        )
        merge_over()
        if round_ == 0 and rounds_ > 1:
            # The repair's share is reserved here: under load it takes longer, and the
            # annealing after it (which only lowers breaks) gets what is left.
            repair_until(t0 + time_limit * repair_share)
            anneal_end = max(anneal_end, time.perf_counter())
    # What the first repair could not do (or, with one round, everything) gets most of the
    # time left; the group search after it smooths the breaks the repairs added.
    repair_until(deadline - (deadline - time.perf_counter()) * 0.1)
    while not stopped and time.perf_counter() < deadline - 0.05:
        if should_stop is not None and should_stop():
            stopped = True
            break
        seeds = _pick_seeds(state, lbs, tried, allowed, rng)
        if not seeds:
            break  # everyone at their bound and everything placeable placed: optimal
        group = _grow(seeds, partners, state, lbs, rng, group_size, max_freed)
        freed = sorted({i for p in group for i in state.mine[p]})
        changes = _reoptimise(state, freed, min(0.5, deadline - time.perf_counter()), workers)
        rounds += 1
        for p in seeds:
            tried[p] += 1
        if changes is not None:
            before = state.score()
            old = {i: state.slots[i] for i in changes}
            state.apply(changes)
            if state.score() > before:  # never accept worse
                state.apply(old)
        report()
    report(force=True)
    final = list(state.slots)
    problems = [
        line for line in check(inst, final, allow_unplaced=True) if not line.startswith("fairness")
    ]
    if problems:  # never hand out what the independent checker rejects
        raise AssertionError(f"neighbourhood search produced an invalid schedule: {problems[:3]}")
    done = (
        all(s is not None for i, s in enumerate(final) if allowed[i])
        and sum(count_breaks(inst, final).values()) <= bound
    )
    solution = finished(
        inst,
        final,
        allowed,
        searched=False,
        optimal=done,
        seconds=time.perf_counter() - t0,
        status="STOPPED" if stopped else ("OPTIMAL" if done else "FEASIBLE"),
        # The bound assumes every meeting placed: leaving some out can save breaks.
        bound=bound if sum(s is not None for s in final) >= placeable else None,
    )
    solution.over_cap_reasons = {
        p: repair_reasons.get(p, "not found") for p in state.mine if state.over(p)
    }
    return solution


def _pick_seeds(
    state: _State,
    lbs: dict[int, int],
    tried: dict[int, int],
    allowed: list[list[int]],
    rng: random.Random,
) -> list[int]:
    """Participants worth freeing next: over the cap first, then with meetings left out,
    then those furthest above their own bound, least tried first."""
    # Those over the cap first, a few times each: the repair has tried them harder already,
    # and the rest of the day's breaks must not wait behind one that cannot be helped.
    over = [p for p in state.mine if state.over(p) and tried[p] < 4]
    if over:
        return [min(over, key=lambda p: (tried[p], -state.over(p), rng.random()))]
    out = [
        i
        for i, s in enumerate(state.slots)
        if s is None and allowed[i] and tried[state.inst.meetings[i][0]] < 3
    ]
    if out:
        a, b, _ = state.inst.meetings[rng.choice(out)]
        return [a, b]
    gap = [p for p in state.mine if state.breaks[p] > lbs[p] and tried[p] < 6]
    if not gap:
        return []
    sample = rng.sample(gap, min(len(gap), 24))
    return [min(sample, key=lambda p: (tried[p], -(state.breaks[p] - lbs[p]), rng.random()))]


def _grow(
    seeds: list[int],
    partners: dict[int, list[int]],
    state: _State,
    lbs: dict[int, int],
    rng: random.Random,
    size: int,
    max_freed: int,
) -> list[int]:
    """The seeds plus partners (those with breaks to lose first) until the group is big
    enough or frees enough meetings."""
    group = list(dict.fromkeys(seeds))
    freed = sum(len(state.mine[p]) for p in group)
    frontier = [q for p in group for q in partners[p]]
    rng.shuffle(frontier)
    frontier.sort(key=lambda q: -(state.breaks[q] - lbs[q]))
    seen = set(group)
    while frontier and len(group) < size:
        q = frontier.pop(0)
        if q in seen:
            continue
        seen.add(q)
        if freed + len(state.mine[q]) > max_freed:
            continue
        group.append(q)
        freed += len(state.mine[q])
        more = [r for r in partners[q] if r not in seen]
        rng.shuffle(more)
        frontier.extend(more[:4])
    return group


def _solve_soon_after_first(solver: object, model: object, grace: float) -> int:
    """`solver.solve(model)`, stopped `grace` seconds after its first solution."""
    import threading

    from ortools.sat.python import cp_model

    assert isinstance(solver, cp_model.CpSolver)
    timers: list[threading.Timer] = []

    class First(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            if not timers:
                timers.append(threading.Timer(grace, solver.stop_search))
                timers[0].start()

    try:
        return solver.solve(model, First())
    finally:
        for t in timers:
            t.cancel()


def repair(
    instance: B2BInstance,
    slots: list[int | None],
    *,
    time_limit: float = 10,
    workers: int = 2,
    seed: int = 0,
) -> tuple[list[int | None], dict[int, str]]:
    """A schedule with the companies over their fairness cap brought back within it where
    the repair finds how (see `repair_over_cap`), and the reason for each one left over."""
    inst = instance
    allowed = [inst.allowed_slots(i) for i in range(len(inst.meetings))]
    caps = fairness_caps(inst, allowed)
    if caps is None:
        return list(slots), {}
    state = _State(inst, allowed, list(slots), caps)
    partners: dict[int, list[int]] = {p: [] for p in state.mine}
    for a, b, _ in inst.meetings:
        partners[a].append(b)
        partners[b].append(a)
    rng = random.Random(seed)  # noqa: S311 - reproducible search, not security
    reasons = repair_over_cap(state, partners, time.perf_counter() + time_limit, workers, rng)
    return list(state.slots), reasons


def repair_over_cap(
    state: _State,
    partners: dict[int, list[int]],
    deadline: float,
    workers: int,
    rng: random.Random,
    *,
    levels: tuple[tuple[int, float], ...] = ((0, 0.5), (60, 0.8), (150, 1.5), (300, 2.5)),
    should_stop: Callable[[], bool] | None = None,
) -> dict[int, str]:
    """Bring each company over its fairness cap back within it; the reason for those left over.

    Annealing and small groups reach most caps, but a company whose meetings are packed
    around its partners' fixed days needs its partners to move too. So for each one still
    over, its meetings are freed, then also its partners' (then theirs), with the company's
    cap a hard constraint and no placed meeting allowed out; CP-SAT proving the cap
    infeasible in a neighbourhood is the signal to enlarge it. `levels` are (most meetings
    freed besides its own, seconds). Before enlarging, a company whose own meetings cannot
    fit within its cap whatever anyone else does (`fits_within`) is left: its reason says so.
    """
    reasons: dict[int, str] = {}
    caps = state.caps or {}
    todo = sorted((p for p in state.mine if state.over(p)), key=lambda p: -state.over(p))
    # Every company at the smallest neighbourhood first, then the ones left at the next
    # size: the cheap repairs are not kept waiting behind an expensive one.
    for level, (extra, limit) in enumerate(levels):
        todo = [p for p in todo if state.over(p)]  # others' repairs may have helped
        if level == 1:  # before enlarging: is the cap within reach of its own meetings?
            for p in todo:
                if fits_within(state.inst, state.allowed, state.mine[p], caps[p], 0.2) is False:
                    reasons[p] = "own meetings"  # proven: their common free slots force it
            todo = [p for p in todo if reasons.get(p) != "own meetings"]
        left = []
        for p in todo:
            if not state.over(p):
                continue  # another company's repair brought it back
            seconds = min(limit, deadline - time.perf_counter())
            if seconds <= 0.05 or (should_stop is not None and should_stop()):
                left.append(p)
                reasons[p] = "time"
                continue
            ring = _rings(p, partners, state, rng, extra)
            freed = sorted({i for q in ring for i in state.mine[q]})
            status, changes = _solve_group(
                state, freed, seconds, workers, hard=frozenset((p,)), keep_placed=True
            )
            if changes is not None:
                before = state.score()
                old = {i: state.slots[i] for i in changes}
                state.apply(changes)
                if state.score() <= before and not state.over(p):
                    reasons.pop(p, None)
                    continue
                state.apply(old)
            # INFEASIBLE is proven for this neighbourhood only: the next size may do it.
            reasons[p] = "neighbourhood" if status == "INFEASIBLE" else "not found"
            left.append(p)
        todo = left
    return {p: r for p, r in reasons.items() if state.over(p)}


def _rings(
    p: int, partners: dict[int, list[int]], state: _State, rng: random.Random, extra: int
) -> list[int]:
    """p, then its partners, then theirs (each ring shuffled), while their meetings add up to
    at most `extra` besides p's own. Partners busy in p's gaps come first: their days must
    change for p to close them."""
    group, seen, freed = [p], {p}, 0
    layer = [p]
    busy = state.busy[p]
    forbidden = state.inst.forbidden.get(p, set())
    gaps = set(range(min(busy, default=0), max(busy, default=0))) - busy.keys()
    gaps -= forbidden
    while layer and freed < extra:
        nxt = list(dict.fromkeys(q for r in layer for q in partners[r] if q not in seen))
        rng.shuffle(nxt)
        if layer == [p]:
            nxt.sort(key=lambda q: -len(gaps & state.busy[q].keys()))
        layer = []
        for q in nxt:
            seen.add(q)
            if freed + len(state.mine[q]) > extra:
                continue
            group.append(q)
            layer.append(q)
            freed += len(state.mine[q])
    return group


def _reoptimise(
    state: _State, freed: list[int], seconds: float, workers: int
) -> dict[int, int | None] | None:
    """Re-schedule the freed meetings with everything else fixed; None when nothing better."""
    return _solve_group(state, freed, seconds, workers)[1]


def _solve_group(
    state: _State,
    freed: list[int],
    seconds: float,
    workers: int,
    *,
    hard: frozenset[int] = frozenset(),
    keep_placed: bool = False,
) -> tuple[str, dict[int, int | None] | None]:
    """CP-SAT on the freed meetings, everything else fixed: (status, changes or None).

    Participants in `hard` must end within their cap (a hard constraint, so INFEASIBLE proves
    the cap unreachable while the rest of the day stays as it is); with `keep_placed` no
    placed meeting may be left out to get there."""
    from ortools.sat.python import cp_model

    if seconds <= 0.05 or not freed:
        return "UNKNOWN", None
    inst = state.inst
    S = inst.n_slots
    free_set = set(freed)
    touched = sorted({p for i in freed for p in inst.meetings[i][:2]})
    fixed_busy = {p: {s for s, i in state.busy[p].items() if i not in free_set} for p in touched}
    tables = [inst.n_tables - state.at[s] for s in range(S + 2)]
    group_left = [list(use) for use in state.group_use]
    for i in freed:
        s = state.slots[i]
        if s is not None:
            tables[s] += 1
            for g in state.member_of[i]:
                group_left[g][s] -= 1
    m = cp_model.CpModel()
    x: dict[tuple[int, int], object] = {}
    placed_lits = []
    in_slot: dict[int, list[object]] = {}
    for i in freed:
        a, b, _ = inst.meetings[i]
        lits = []
        for s in state.allowed[i]:
            if s in fixed_busy[a] or s in fixed_busy[b] or tables[s] <= 0:
                continue
            if any(
                group_left[g][s] >= inst.capacity_groups[g][1].get(s, 0) for g in state.member_of[i]
            ):
                continue
            v = m.new_bool_var("")
            x[i, s] = v
            lits.append(v)
            in_slot.setdefault(s, []).append(v)
            m.add_hint(v, state.slots[i] == s)
        if lits:
            pv = m.new_bool_var("")
            m.add(sum(lits) == pv)
            m.add_hint(pv, state.slots[i] is not None)
            placed_lits.append(pv)
            if keep_placed and state.slots[i] is not None:
                m.add(pv == 1)
        if state.slots[i] is not None and not lits:
            return "UNKNOWN", None  # cannot happen: its own slot is always available
    for s, vs in in_slot.items():
        if len(vs) > tables[s]:
            m.add(sum(vs) <= tables[s])
    for g, (members, capacity) in enumerate(inst.capacity_groups):
        member_set = set(members)
        for s in range(1, S + 1):
            vs = [x[i, s] for i in freed if i in member_set and (i, s) in x]
            room = capacity.get(s, 0) - group_left[g][s]
            if len(vs) > room:
                m.add(sum(vs) <= room)
    objective = []
    for p in touched:
        mine = [i for i in state.mine[p] if i in free_set]
        used: list[object] = [0] * (S + 2)
        busy_now = set(state.busy[p])
        for s in range(1, S + 1):
            if s in fixed_busy[p]:
                used[s] = 1
                continue
            vs = [x[i, s] for i in mine if (i, s) in x]
            if len(vs) == 1:
                used[s] = vs[0]
            elif vs:
                u = m.new_bool_var("")
                m.add(sum(vs) == u)
                m.add_hint(u, s in busy_now)
                used[s] = u
        starts = []
        for s in range(1, S + 1):
            u, prev = used[s], used[s - 1]
            if isinstance(u, int) and u == 0:
                continue
            if isinstance(u, int) and isinstance(prev, int):
                if prev == 0:
                    starts.append(1)
                continue
            st = m.new_bool_var("")
            if isinstance(prev, int):
                if prev == 0:
                    m.add(st >= u)  # type: ignore[operator]
                else:
                    continue
            else:
                m.add(st >= u - prev)  # type: ignore[operator]
            m.add_hint(st, s in busy_now and s - 1 not in busy_now)
            starts.append(st)
        n_runs = sum(starts)
        objective.append(n_runs)
        if state.caps is not None:
            over_now = state.over(p)
            excess = m.new_int_var(0, S, "")
            m.add(excess >= n_runs - 1 - state.caps[p])
            m.add_hint(excess, over_now)
            objective.append(_W_OVER * excess)
            if not over_now or p in hard:
                m.add(n_runs - 1 <= state.caps[p])
            elif hard:  # a repair stops early: nobody else over the cap may get worse
                m.add(n_runs - 1 <= state.breaks[p])
    m.minimize(sum(objective) - _W_PLACE * sum(placed_lits))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = max(1, workers)
    # A repair needs a schedule within the cap, not the best one: it stops a little after
    # the first (the group search polishes the breaks later).
    status = _solve_soon_after_first(solver, m, seconds * 0.3) if hard else solver.solve(m)
    name = solver.status_name(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return name, None
    new: dict[int, int | None] = dict.fromkeys(freed)
    for (i, s), v in x.items():
        if solver.boolean_value(v):
            new[i] = s
    changes = {i: s for i, s in new.items() if s != state.slots[i]}
    return name, changes or None


# --- fast local search (simulated annealing on moves and swaps) -----------------------------


def anneal(
    state: _State,
    seconds: float,
    rng: random.Random,
    *,
    t_start: float = 0.5,
    t_end: float = 0.05,
    w_over: int = 50,
    focus: float = 0.7,
    tick: Callable[[int, int], bool] | None = None,
    keep_caps: bool = False,
) -> int:
    """Improve `state` in place for `seconds` by simulated annealing; returns moves made.

    Two moves, both keeping every hard rule: move one meeting to a slot where both sides and
    a table are free, or swap the slots of two meetings of one participant (their day stays
    the same, the partners' days change). The cost of a participant is its breaks plus,
    above its cap, `w_over` per meeting outside its longest runs (those the cap allows).
    Busy slots are bit masks, so a move's cost change is a few integer operations. `tick` is
    called now and then and stops the search when true. With `keep_caps` no move takes
    anyone from within the cap to above it: the caps reached stay reached, whatever the
    temperature.
    """
    import math

    inst = state.inst
    meetings = inst.meetings
    n_tables = inst.n_tables
    caps = state.caps or dict.fromkeys(state.mine, 10**6)
    mask = {p: sum(1 << s for s in state.busy[p]) for p in state.mine}
    who = state.busy  # p -> slot -> meeting (kept in sync below)
    allowed_mask = [sum(1 << s for s in a) for a in state.allowed]
    groups = state.member_of
    has_groups = bool(inst.capacity_groups)
    group_caps = [c for _m, c in inst.capacity_groups]
    slots = state.slots
    at = state.at
    people = [p for p, ms in state.mine.items() if len(ms) >= 2]
    if not people:
        return 0

    def runs(b: int) -> int:
        return (b & ~(b << 1)).bit_count()

    def out_of_place(b: int, extra: int) -> int:
        # Meetings in the `extra` shortest runs: what must move for the day to fit the cap.
        lengths = []
        while b:
            low = (b & -b).bit_length() - 1
            t = b >> low
            length = (t ^ (t + 1)).bit_length() - 1
            lengths.append(length)
            b &= ~(((1 << length) - 1) << low)
        lengths.sort()
        return sum(lengths[:extra])

    def cost(b: int, p: int) -> int:
        r = runs(b)
        k = r - 1 if r else 0
        c = caps[p]
        # Above the cap the cost counts the meetings out of place, not the breaks: moving one
        # meeting of a short run to a long one then pays at once, where the break count
        # would only drop when the last one left (annealing takes no such walk).
        return k + w_over * out_of_place(b, k - c) if k > c else k

    def pushed_over(p: int, old: int, new: int, q: int, old_q: int, new_q: int) -> bool:
        # Someone within the cap would go above it.
        return (runs(old) - 1 <= caps[p] < runs(new) - 1) or (
            runs(old_q) - 1 <= caps[q] < runs(new_q) - 1
        )

    def group_ok(i: int, s: int, t: int) -> bool:
        return all(state.group_use[g][t] < group_caps[g].get(t, 0) for g in groups[i])

    def do_move(i: int, s: int, t: int) -> None:
        a, b, _ = meetings[i]
        for p in (a, b):
            mask[p] ^= (1 << s) | (1 << t)
            del who[p][s]
            who[p][t] = i
        at[s] -= 1
        at[t] += 1
        for g in groups[i]:
            state.group_use[g][s] -= 1
            state.group_use[g][t] += 1
        slots[i] = t

    t0 = time.perf_counter()
    end = t0 + seconds
    temp = t_start
    ratio = t_end / t_start
    made = 0
    it = 0
    rand = rng.random
    choice = rng.choice
    hot = [p for p in people if runs(mask[p]) > 1]
    last_tick = t0
    while True:
        it += 1
        if it & 1023 == 0:
            if it & 32767 == 1024:
                hot = [p for p in people if runs(mask[p]) > 1]
            now = time.perf_counter()
            if now >= end:
                break
            if tick is not None and now - last_tick > 0.5:
                last_tick = now
                ks = [(runs(mask[x]) or 1) - 1 for x in people]
                over_now = sum(1 for x, k in zip(people, ks, strict=True) if k > caps[x])
                if tick(sum(ks), over_now):
                    break
            temp = t_start * ratio ** ((now - t0) / seconds)
        p = choice(hot) if hot and rand() < focus else choice(people)
        i = choice(state.mine[p])
        s = slots[i]
        if s is None:
            continue
        a, b, _ = meetings[i]
        q = b if a == p else a
        bp = mask[p]
        r = rand()
        if r < 0.6:
            cand = ((bp << 1) | (bp >> 1)) & ~bp & allowed_mask[i]
        elif r < 0.85:
            cand = bp & ~(1 << s) & allowed_mask[i]
        else:
            cand = allowed_mask[i] & ~(1 << s)
        if not cand:
            continue
        k = cand.bit_count()
        pick = int(rand() * k)
        while pick:  # drop the lowest set bits until the chosen one is lowest
            cand &= cand - 1
            pick -= 1
        t = (cand & -cand).bit_length() - 1
        bq = mask[q]
        if bq >> t & 1:
            if bp >> t & 1:
                continue
            # q's meeting j sits in t: swap i and j around q (p moves s -> t, r moves t -> s)
            j = who[q][t]
            c, d, _ = meetings[j]
            r_ = d if c == q else c
            br = mask[r_]
            if not (allowed_mask[j] >> s & 1) or br >> s & 1:
                continue
            if has_groups and set(groups[i]) != set(groups[j]):
                continue
            move = (1 << s) | (1 << t)
            if keep_caps and pushed_over(p, bp, bp ^ move, r_, br, br ^ move):
                continue
            delta = cost(bp ^ move, p) - cost(bp, p) + cost(br ^ move, r_) - cost(br, r_)
            if delta <= 0 or rand() < math.exp(-delta / temp):
                for pp, old, new, m_ in ((p, s, t, i), (r_, t, s, j)):
                    mask[pp] ^= (1 << old) | (1 << new)
                    del who[pp][old]
                    who[pp][new] = m_
                who[q][s], who[q][t] = j, i
                slots[i], slots[j] = t, s
                made += 1
            continue
        if bp >> t & 1:  # swap with p's meeting j in slot t
            j = who[p][t]
            c, d, _ = meetings[j]
            q2 = d if c == p else c
            b2 = mask[q2]
            if not (allowed_mask[j] >> s & 1) or b2 >> s & 1:
                continue
            if has_groups and set(groups[i]) != set(groups[j]):
                continue  # keep interpreter counts per slot as they are
            nq = bq ^ (1 << s) ^ (1 << t)
            nq2 = b2 ^ (1 << s) ^ (1 << t)
            if keep_caps and pushed_over(q, bq, nq, q2, b2, nq2):
                continue
            delta = cost(nq, q) - cost(bq, q) + cost(nq2, q2) - cost(b2, q2)
            if delta <= 0 or rand() < math.exp(-delta / temp):
                # move i out to a scratch slot first (both meetings trade places)
                for pp, old, new, m_ in ((q, s, t, i), (q2, t, s, j)):
                    mask[pp] ^= (1 << old) | (1 << new)
                    del who[pp][old]
                    who[pp][new] = m_
                who[p][s], who[p][t] = j, i
                slots[i], slots[j] = t, s
                made += 1
            continue
        if at[t] >= n_tables or (has_groups and not group_ok(i, s, t)):
            continue
        move = (1 << s) | (1 << t)
        if keep_caps and pushed_over(p, bp, bp ^ move, q, bq, bq ^ move):
            continue
        delta = cost(bp ^ move, p) - cost(bp, p) + cost(bq ^ move, q) - cost(bq, q)
        if delta <= 0 or rand() < math.exp(-delta / temp):
            do_move(i, s, t)
            made += 1
    for p in state.mine:
        state.breaks[p] = state.breaks_of(p)
    state.iterations = it  # type: ignore[attr-defined]
    return made


def compact_start(
    inst: B2BInstance,
    allowed: list[list[int]],
    caps: dict[int, int],
    order_step: int = 4,
    tight: int = 6,
) -> list[int | None]:
    """A break-aware greedy start: the meetings of participants with the least slack first
    (then the busiest), each in the open slot that adds the fewest breaks (then the least
    used slot), so the day is not packed into its first slots the way first-fit packs it.
    A participant with at most `tight` slack keeps to its longest free runs where it can.
    Meetings it cannot place stay None."""
    mine = inst.participant_meetings()
    mask = dict.fromkeys(mine, 0)
    at = [0] * (inst.n_slots + 2)
    group_use = [[0] * (inst.n_slots + 2) for _ in inst.capacity_groups]
    member_of: list[list[int]] = [[] for _ in inst.meetings]
    for g, (members, _c) in enumerate(inst.capacity_groups):
        for i in members:
            member_of[i].append(g)
    # A participant's slack is what its longest free runs allowed by its cap hold beyond its
    # meetings: at 0 it fits its cap only by filling exactly those runs, so its meetings go
    # first and into those runs (placed late, they land wherever partners left room).
    main_runs: dict[int, set[int]] = {}
    slack: dict[int, int] = {}
    for p, ms in mine.items():
        runs = _free_runs(sorted({s for i in ms for s in allowed[i]}))
        runs.sort(key=lambda r: -len(r))
        keep = runs[: caps.get(p, len(ms)) + 1]
        main_runs[p] = {s for r in keep for s in r}
        slack[p] = len(main_runs[p]) - len(ms)
    order = sorted(
        range(len(inst.meetings)),
        key=lambda i: (
            min(slack[inst.meetings[i][0]], slack[inst.meetings[i][1]]) // order_step,
            -max(len(mine[inst.meetings[i][0]]), len(mine[inst.meetings[i][1]])),
            len(allowed[i]),
        ),
    )

    def breaks(b: int) -> int:
        r = (b & ~(b << 1)).bit_count()
        return r - 1 if r else 0

    # A slot counts as crowded above half its tables or above the day's average, whichever
    # is more: packing the first slots full leaves later moves no table to go to.
    crowded = max(inst.n_tables // 2, -(-len(inst.meetings) // max(1, inst.n_slots)))
    slots: list[int | None] = [None] * len(inst.meetings)
    for i in order:
        a, b, _ = inst.meetings[i]
        ma, mb = mask[a], mask[b]
        ba, bb = breaks(ma), breaks(mb)
        best = None
        for s in allowed[i]:
            bit = 1 << s
            if (ma | mb) & bit or at[s] >= inst.n_tables:
                continue
            if any(group_use[g][s] >= inst.capacity_groups[g][1].get(s, 0) for g in member_of[i]):
                continue
            na, nb = breaks(ma | bit), breaks(mb | bit)
            over = max(0, na - caps[a]) + max(0, nb - caps[b])
            outside = (slack[a] <= tight and s not in main_runs[a]) + (
                slack[b] <= tight and s not in main_runs[b]
            )
            key = (over, outside, na - ba + nb - bb, at[s] >= crowded, s)
            if best is None or key < best[0]:
                best = (key, s)
        if best is None:
            continue
        s = best[1]
        slots[i] = s
        mask[a] |= 1 << s
        mask[b] |= 1 << s
        at[s] += 1
        for g in member_of[i]:
            group_use[g][s] += 1
    return slots


def _free_runs(free: list[int]) -> list[list[int]]:
    """Sorted slots cut into runs of consecutive ones."""
    runs: list[list[int]] = []
    for s in free:
        if runs and runs[-1][-1] == s - 1:
            runs[-1].append(s)
        else:
            runs.append([s])
    return runs


def merge_runs(state: _State, p: int) -> bool:
    """Try to move one whole run of participant p's meetings next to another of its runs
    (or into the gap between two): the compound move annealing cannot make one meeting at a
    time, because each single step helps p nothing and costs its partners. Kept only when
    the day's (left out, over the cap, breaks) gets smaller; returns whether it did."""
    inst = state.inst
    busy = state.busy[p]
    slots_p = sorted(busy)
    runs: list[tuple[int, int]] = []
    for s in slots_p:
        if runs and runs[-1][1] == s - 1:
            runs[-1] = (runs[-1][0], s)
        else:
            runs.append((s, s))
    if len(runs) < 2:
        return False
    forbidden = inst.forbidden.get(p, set())
    for a0, a1 in sorted(runs, key=lambda r: r[1] - r[0]):
        length = a1 - a0 + 1
        moving = [busy[s] for s in range(a0, a1 + 1)]
        others = [r for r in runs if r != (a0, a1)]
        options: list[list[int]] = []
        for b0, b1 in others:
            for left in range(length + 1):
                target = list(range(b0 - left, b0)) + list(range(b1 + 1, b1 + 1 + length - left))
                if all(1 <= t <= inst.n_slots and t not in forbidden for t in target) and not (
                    set(target) & (set(busy) - set(range(a0, a1 + 1)))
                ):
                    options.append(target)
        touched = {q for i in moving for q in inst.meetings[i][:2]}

        def local(touched: set[int] = touched) -> tuple[int, int]:  # only these change
            return sum(state.over(q) for q in touched), sum(state.breaks[q] for q in touched)

        before = local()
        over_before = {q: state.over(q) for q in touched}
        for target in options:
            assignment = _assign(state, moving, target)
            if assignment is None:
                continue
            old = {i: state.slots[i] for i in assignment}
            state.apply(assignment)
            # Nobody pays for p's merge with a cap it had kept (or more breaks above it).
            if local() < before and all(state.over(q) <= over_before[q] for q in touched):
                return True
            state.apply(old)
    return False


def _assign(state: _State, moving: list[int], target: list[int]) -> dict[int, int | None] | None:
    """Meetings to target slots, one each, where the partner and a table are free."""
    inst = state.inst
    leaving = {state.slots[i] for i in moving}

    def fits(i: int, t: int) -> bool:
        if t not in state.allowed[i]:
            return False
        a, b, _ = inst.meetings[i]
        for q in (a, b):
            j = state.busy[q].get(t)
            if j is not None and j not in moving:
                return False
        room = inst.n_tables - state.at[t] + (1 if t in leaving else 0)
        if room <= 0:
            return False
        for g in state.member_of[i]:
            if state.group_use[g][t] >= inst.capacity_groups[g][1].get(t, 0):
                return False
        return True

    match: dict[int, int] = {}  # slot -> meeting

    def augment(i: int, seen: set[int]) -> bool:
        for t in target:
            if t in seen or not fits(i, t):
                continue
            seen.add(t)
            if t not in match or augment(match[t], seen):
                match[t] = i
                return True
        return False

    for i in moving:
        if not augment(i, set()):
            return None
    return {i: t for t, i in match.items()}
