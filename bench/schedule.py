"""B2B meeting scheduling benchmark: the CP-SAT scheduler against the published optima.

Runs `bizweek.scheduler.cpsat.solve` on the 20 real instances of Bofill et al. (JAIR 2022)
in bench/data/b2b/ and, side by side, the greedy baseline (most constrained meeting first,
first feasible slot). Every schedule is verified with the independent `check()`, and the
breaks are compared with the published optimum (Table 3 of the paper, all proven optimal,
81 s in total). Then two synthetic days at scale (2,000 companies and 10,000 accepted
requests; 5,000 and 25,000; 40 slots, random unavailability), solved by the neighbourhood
search of `bizweek.scheduler.neighbourhood` and by plain first-fit greedy in the same run:
share placed, breaks, companies over the fairness cap, lower bound, seconds.

Results go to bench/results/schedule.json. Targets (issue): every instance feasible, breaks
equal to the published optimum on all 20, total time below 81 s on this 2-core machine; on the
10,000-meeting day all placeable meetings placed, none over the fairness cap, breaks at most
half of greedy's, within 60 s.
A missed target does not fail the run. Exit status: 0 ran, 1 some schedule was infeasible.

The 10,000-meeting day (seed 0 above) is also run with `--seeds` (default 1, 2) and, with
one busy process burning a core alongside, `--loaded-seeds` (default 0, 1, 2): the result
should not depend on luck or load (`synthetic_robustness`).

Usage: .venv/bin/python bench/schedule.py [--time-limit 30] [--only NAME] [--no-synthetic]
       [--seeds 1,2] [--loaded-seeds 0,1,2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from bizweek.scheduler.cpsat import (  # noqa: E402
    B2BInstance,
    check,
    count_breaks,
    greedy,
    parse_dzn,
    solve,
)
from bizweek.scheduler.neighbourhood import (  # noqa: E402
    Progress,
    fairness_caps,
    improve,
    over_cap,
)

DATA = ROOT / "bench" / "data" / "b2b"
RESULTS = ROOT / "bench" / "results" / "schedule.json"

# JAIR 74 (2022), Table 3, MaxSAT "imp12+": optimum breaks and seconds (Xeon E3-1220v2).
PUBLISHED: dict[str, tuple[int, float]] = {
    "forum-13": (0, 2.5),
    "forum-13crafb": (6, 23.3),
    "forum-13crafc": (1, 2.3),
    "forum-14": (2, 5.1),
    "forumt-14": (5, 0.5),
    "forumt-14crafc": (5, 0.9),
    "forumt-14crafd": (4, 0.4),
    "forumt-14crafe": (5, 0.6),
    "tic-12": (0, 0.1),
    "tic-12crafc": (0, 0.3),
    "tic-13": (0, 0.4),
    "tic-13crafb": (0, 0.4),
    "tic-13crafc": (4, 5.8),
    "tic-14crafa": (0, 1.0),
    "tic-14crafc": (0, 0.8),
    "tic-14crafd": (0, 0.8),
    "ticf-13crafa": (0, 2.2),
    "ticf-13crafb": (3, 22.3),
    "ticf-13crafc": (1, 3.7),
    "ticf-14crafa": (0, 7.6),
}


def load(name: str) -> B2BInstance:
    """One benchmark instance by its short name (file `NAME.original.dzn`)."""
    path = DATA / f"{name}.original.dzn"
    return parse_dzn(path.read_text(encoding="utf-8"), name=name)


def fairness_ok(inst: B2BInstance, slots: list[int | None]) -> bool:
    b = count_breaks(inst, slots)
    return not b or max(b.values()) - min(b.values()) <= inst.max_breaks


def run_instance(name: str, time_limit: float, workers: int) -> dict[str, Any]:
    inst = load(name)
    optimum, paper_seconds = PUBLISHED[name]
    g = greedy(inst)
    g_problems = check(inst, g.slots)
    cpu0 = time.process_time()
    sol = solve(inst, time_limit=time_limit, workers=workers)
    cpu = time.process_time() - cpu0  # every thread of this process: what the solver got
    problems = check(inst, sol.slots)
    return {
        "name": name,
        "participants": inst.n_business,
        "meetings": len(inst.meetings),
        "slots": inst.n_slots,
        "tables": inst.n_tables,
        "breaks": sol.breaks,
        "optimum": optimum,
        "matches_optimum": not problems and sol.breaks == optimum,
        "optimal": sol.optimal,
        "bound": sol.bound,
        "status": sol.status,
        "seconds": round(sol.seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "paper_seconds": paper_seconds,
        "feasible": not problems,
        "violations": problems[:10],
        "greedy_breaks": g.breaks,
        "greedy_placed": g.placed,
        "greedy_feasible": not g_problems,
        "greedy_fair": fairness_ok(inst, g.slots),
        "greedy_seconds": round(g.seconds, 2),
    }


def synthetic_instance(
    seed: int = 1,
    companies: int = 2000,
    meetings: int = 10000,
    slots: int = 40,
    morning: int = 20,
    tables: int = 400,
) -> B2BInstance:
    """A big event: skewed demand (some companies much sought after), random unavailability.

    Each company forbids 0-6 random slots (a third of them none), 8 % of the meetings are
    morning-only and 4 % afternoon-only; nobody has more than 30 meetings.
    """
    rng = random.Random(seed)
    weight = [rng.paretovariate(2.0) for _ in range(companies)]
    cap = 30
    deg = [0] * (companies + 1)
    pairs: set[tuple[int, int]] = set()
    out: list[tuple[int, int, int]] = []
    population = list(range(1, companies + 1))
    while len(out) < meetings:
        a, b = rng.choices(population, weights=weight, k=2)
        key = (min(a, b), max(a, b))
        if a == b or key in pairs or deg[a] >= cap or deg[b] >= cap:
            continue
        pairs.add(key)
        deg[a] += 1
        deg[b] += 1
        r = rng.random()
        session = 1 if r < 0.08 else 2 if r < 0.12 else 3
        out.append((a, b, session))
    forbidden: dict[int, set[int]] = {}
    for p in population:
        if rng.random() < 2 / 3:
            k = rng.randint(1, 6)
            forbidden[p] = set(rng.sample(range(1, slots + 1), k))
    return B2BInstance(
        n_business=companies,
        meetings=out,
        n_tables=tables,
        n_slots=slots,
        n_morning=morning,
        forbidden=forbidden,
        name=f"synthetic-{companies}x{meetings}x{slots}",
    )


def run_synthetic(
    time_limit: float, workers: int, companies: int = 2000, meetings: int = 10000
) -> dict[str, Any]:
    """One big day: plain first-fit greedy (the baseline) and the neighbourhood search."""
    t0 = time.perf_counter()
    # Tables scale with the day (400 for 10,000 meetings): 25,000 meetings need 1,000.
    inst = synthetic_instance(companies=companies, meetings=meetings, tables=meetings // 25)
    gen = time.perf_counter() - t0
    n = len(inst.meetings)
    g = greedy(inst, restarts=1)
    g_over = over_cap(inst, g.slots)
    print(
        f"  greedy: placed {g.placed}/{n}, breaks {g.breaks}, over cap {g_over}, {g.seconds:.1f} s",
        flush=True,
    )

    def show(p: Progress) -> None:
        print(
            f"    {p.elapsed:5.1f} s: placed {p.placed}, breaks {p.breaks}, over cap "
            f"{p.over_cap}, bound {p.bound}",
            flush=True,
        )

    cpu0 = time.process_time()
    sol = improve(inst, time_limit=time_limit, workers=workers, on_progress=show, report_every=10)
    cpu = time.process_time() - cpu0
    problems = check(inst, sol.slots, allow_unplaced=True, fairness=False)
    reasons: dict[str, int] = {}
    for r in sol.unplaced_reasons.values():
        reasons[r] = reasons.get(r, 0) + 1
    b = count_breaks(inst, sol.slots)
    placeable = sum(1 for i in range(n) if inst.allowed_slots(i))
    allowed = [inst.allowed_slots(i) for i in range(n)]
    caps = fairness_caps(inst, allowed) or {}
    return {
        "name": inst.name,
        "companies": inst.n_business,
        "meetings": n,
        "placeable": placeable,
        "slots": inst.n_slots,
        "tables": inst.n_tables,
        "generate_seconds": round(gen, 2),
        "time_limit": time_limit,
        "method": "break-aware greedy start + simulated annealing + CP-SAT repair of the "
        "companies over the cap + CP-SAT on groups "
        "(bizweek.scheduler.neighbourhood.improve)",
        "placed": sol.placed,
        "share_placed": round(sol.placed / n, 4),
        "share_placeable_placed": round(sol.placed / placeable, 4) if placeable else 1.0,
        "breaks": sol.breaks,
        "lower_bound": sol.bound,
        "lower_bound_method": "sum over companies of the fewest breaks their own free slots "
        "allow (relaxation: tables and partners ignored)",
        "over_cap": over_cap(inst, sol.slots),
        # Why each one left over is: "own meetings" (proven: its meetings' common free
        # slots force more breaks), "neighbourhood" (proven with the rest of the day fixed,
        # in the largest neighbourhood tried), "not found" / "time" (nothing proven).
        "over_cap_reasons": {
            r: sum(1 for x in sol.over_cap_reasons.values() if x == r)
            for r in sorted(set(sol.over_cap_reasons.values()))
        },
        "companies_whose_own_availability_forces_more_than_2_breaks": sum(
            1 for c in caps.values() if c > inst.max_breaks
        ),
        "max_breaks_per_company": max(b.values()) if b else 0,
        "status": sol.status,
        "seconds": round(sol.seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "feasible": not problems,
        "violations": problems[:10],
        "unplaced_reasons": reasons,
        "greedy_placed": g.placed,
        "greedy_share_placed": round(g.placed / n, 4),
        "greedy_breaks": g.breaks,
        "greedy_over_cap": g_over,
        "greedy_fair": fairness_ok(inst, g.slots),
        "greedy_seconds": round(g.seconds, 2),
        "breaks_vs_greedy": round(sol.breaks / g.breaks, 3) if g.breaks else None,
    }


def run_robustness(
    time_limit: float, workers: int, seeds: list[int], busy: bool
) -> list[dict[str, Any]]:
    """The 10,000-meeting day again with other seeds, optionally with one busy process
    alongside (a loop burning one of the 2 cores): whether no company over the cap is luck
    or load. Each run: seed, over the cap (and why), breaks, seconds, load average."""
    inst = synthetic_instance()
    runs = []
    for seed in seeds:
        hog = subprocess.Popen([sys.executable, "-c", "while 1: pass"]) if busy else None
        try:
            load0 = list(os.getloadavg())
            sol = improve(inst, time_limit=time_limit, workers=workers, seed=seed)
        finally:
            if hog is not None:
                hog.kill()
                hog.wait()
        problems = check(inst, sol.slots, allow_unplaced=True, fairness=False)
        row = {
            "seed": seed,
            "busy_process_alongside": busy,
            "placed": sol.placed,
            "breaks": sol.breaks,
            "over_cap": over_cap(inst, sol.slots),
            "over_cap_reasons": sorted(sol.over_cap_reasons.values()),
            "seconds": round(sol.seconds, 2),
            "feasible": not problems,
            "load_average_before": load0,
            "load_average_after": list(os.getloadavg()),
        }
        print(f"  seed {seed}{' (busy process alongside)' if busy else ''}: {row}", flush=True)
        runs.append(row)
    return runs


def versions() -> dict[str, Any]:
    import ortools

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "python": platform.python_version(),
        "ortools": ortools.__version__,
        "nproc": os.cpu_count(),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "git_commit": commit or None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--time-limit", type=float, default=30.0, help="seconds per instance")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", action="append", default=[], help="instance name (repeatable)")
    ap.add_argument("--no-synthetic", action="store_true", help="skip the synthetic run")
    ap.add_argument("--synthetic-time-limit", type=float, default=55.0)
    ap.add_argument("--large-time-limit", type=float, default=90.0, help="25,000-meeting day")
    ap.add_argument(
        "--seeds", default="1,2", help="more seeds for the 10,000-meeting day ('' for none)"
    )
    ap.add_argument(
        "--loaded-seeds",
        default="0,1,2",
        help="seeds for the 10,000-meeting day with one busy process alongside ('' for none)",
    )
    ap.add_argument("--output", type=Path, default=RESULTS)
    args = ap.parse_args(argv)

    load_at_start = list(os.getloadavg())
    names = args.only or list(PUBLISHED)
    unknown = [n for n in names if n not in PUBLISHED]
    if unknown:
        ap.error(f"unknown instance(s): {', '.join(unknown)}; known: {', '.join(PUBLISHED)}")

    rows = []
    header = ("instance", "breaks", "opt", "bound", "seconds", "greedy")
    print("{:16} {:>6} {:>4} {:>5} {:>8}  {:>6}  status".format(*header))
    for name in names:
        row = run_instance(name, args.time_limit, args.workers)
        rows.append(row)
        mark = "=" if row["matches_optimum"] else "!"
        print(
            f"{name:16} {row['breaks']:>6} {row['optimum']:>4}{mark}{row['bound']!s:>5} "
            f"{row['seconds']:>8.2f}  {row['greedy_breaks']:>6}  {row['status']}"
            + ("" if row["feasible"] else f"  INFEASIBLE: {row['violations'][:2]}")
            + ("" if row["greedy_fair"] else "  (greedy unfair)"),
            flush=True,
        )

    result: dict[str, Any] = {
        "benchmark": "b2b-scheduling",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "time_limit_per_instance": args.time_limit,
        "workers": args.workers,
        "instances": rows,
        "optimal_matches": sum(r["matches_optimum"] for r in rows),
        "proven_optimal": sum(r["optimal"] for r in rows),
        "feasible": sum(r["feasible"] for r in rows),
        "count": len(rows),
        "total_seconds": round(sum(r["seconds"] for r in rows), 2),
        # On a shared machine the wall time counts other sessions' work too; the CPU time
        # the solver's threads got, over the 2 cores, is what it needs on 2 free cores.
        "total_cpu_seconds": round(sum(r["cpu_seconds"] for r in rows), 2),
        "total_cpu_seconds_per_core": round(
            sum(r["cpu_seconds"] for r in rows) / max(1, args.workers), 2
        ),
        "total_breaks": sum(r["breaks"] for r in rows),
        "published_total_breaks": sum(r["optimum"] for r in rows),
        "published_total_seconds": round(sum(r["paper_seconds"] for r in rows), 1),
        "greedy_total_breaks": sum(r["greedy_breaks"] for r in rows),
        "greedy_unfair": sum(not r["greedy_fair"] for r in rows),
        "targets": {
            "all_feasible": all(r["feasible"] for r in rows),
            "all_optimal": all(r["matches_optimum"] for r in rows),
            "total_seconds_below_81": sum(r["seconds"] for r in rows) < 81,
            "total_cpu_seconds_per_core_below_81": sum(r["cpu_seconds"] for r in rows)
            / max(1, args.workers)
            < 81,
        },
    }
    print(
        f"optimum reached on {result['optimal_matches']}/{len(rows)} "
        f"(proven {result['proven_optimal']}), total {result['total_seconds']} s "
        f"(paper {result['published_total_seconds']} s; CPU per core "
        f"{result['total_cpu_seconds_per_core']} s), breaks {result['total_breaks']} "
        f"(published {result['published_total_breaks']}), greedy {result['greedy_total_breaks']}",
        flush=True,
    )
    result["load_average_after_instances"] = list(os.getloadavg())
    if not args.no_synthetic:
        for key, companies, meetings, limit in (
            ("synthetic", 2000, 10000, args.synthetic_time_limit),
            ("synthetic_25k", 5000, 25000, args.large_time_limit),
        ):
            print(
                f"{key}: {companies:,} companies, {meetings:,} meetings, 40 slots, "
                f"{meetings // 25} tables",
                flush=True,
            )
            syn = run_synthetic(limit, args.workers, companies, meetings)
            result[key] = syn
            print(
                f"  search: placed {syn['placed']}/{syn['meetings']} ({syn['share_placed']:.2%}), "
                f"breaks {syn['breaks']} (greedy {syn['greedy_breaks']}, bound "
                f"{syn['lower_bound']}), over cap {syn['over_cap']} (greedy "
                f"{syn['greedy_over_cap']}), {syn['seconds']} s, feasible {syn['feasible']}",
                flush=True,
            )
        robustness: list[dict[str, Any]] = []
        for seeds, busy in ((args.seeds, False), (args.loaded_seeds, True)):
            chosen = [int(x) for x in seeds.split(",") if x.strip()]
            if chosen:
                print(f"synthetic robustness: seeds {chosen}, busy process {busy}", flush=True)
                robustness += run_robustness(args.synthetic_time_limit, args.workers, chosen, busy)
        result["synthetic_robustness"] = {
            "runs": robustness,
            "max_over_cap": max((r["over_cap"] for r in robustness), default=None),
            "max_seconds": max((r["seconds"] for r in robustness), default=None),
            "max_breaks_vs_greedy": max(
                (round(r["breaks"] / result["synthetic"]["greedy_breaks"], 3) for r in robustness),
                default=None,
            ),
        }
        result["synthetic_targets"] = {
            "all_placeable_placed": result["synthetic"]["placed"]
            == result["synthetic"]["placeable"],
            "none_over_cap": result["synthetic"]["over_cap"] == 0,
            "breaks_at_most_half_of_greedy": result["synthetic"]["breaks"] * 2
            <= result["synthetic"]["greedy_breaks"],
            "within_60_s": result["synthetic"]["seconds"] <= 60,
        }
    result["versions"] = versions()
    result["machine"] = {
        "nproc": os.cpu_count(),
        "load_average_at_start": load_at_start,
        "load_average": list(os.getloadavg()),
        "shared": "2 cores shared with 7 other developers' sessions (tests, servers, "
        "benchmarks) during the run: timings are pessimistic and noisy",
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0 if all(r["feasible"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
