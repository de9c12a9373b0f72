"""Greedy first-fit scheduling: the benchmark's baseline and the solver's starting point."""

from __future__ import annotations

import heapq
import itertools
import random
import time
from collections import defaultdict

from .problem import B2BInstance, Solution, count_breaks, finished, total_breaks


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
        key = (sum(s is None for s in slots), unfair, total_breaks(breaks))
        if best is None or key < best[0]:
            best = (key, slots)
        if key == (0, 0, 0):
            break
    assert best is not None
    slots = best[1]
    return finished(
        instance,
        slots,
        allowed,
        searched=False,
        optimal=False,
        seconds=time.perf_counter() - t0,
        status="HEURISTIC",
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
