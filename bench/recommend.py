"""Recommendation benchmark: ranking quality on the demo's ground truth, and bulk speed.

The demo generator knows what every buyer really wants (`intent_hs`, HS headings), including
the ~15% "text-only" buyers who declare no HS code and only describe their wants in Chinese or
English. That gives a labelled set:

- a seller is relevant to a buyer when the HS headings of the seller's products intersect the
  buyer's `intent_hs`; the gain (for NDCG) is the number of shared headings;
- symmetrically, a buyer is relevant to a seller under the same condition.

Pairs the recommender must leave out (a pending, accepted or declined meeting request, or a
"No thanks" mark, as the demo creates them) are left out of the ideal lists too.

For each scale (default: quality at scale 1, timing at scale 10; both are measured at both)
a child process sets BIZWEEK_DATA_DIR to var/bench-recommend-scaleN, migrates and builds
`bizweek demo --scale N --seed S` there if that database is empty (reused otherwise, after
checking that it holds exactly what the generator gives for that seed), regenerates the profiles
with the same seed in the same order as demo/builder.py (sellers, then buyers) to recover
`intent_hs`, and evaluates:

- ours: `recommend_all(10)` (bizweek.recommend.services);
- random: 10 random counterparts;
- popularity: the counterparts with the most meeting requests;
- category: counterparts sharing the most sectors (random among ties);
- declared_hs: shared declared HS headings (company codes and product codes), then sectors;
  what exact code matching without text gives (text-only buyers fall back to sectors).

Metrics: precision@10 and NDCG@10 for buyers overall, text-only buyers, Traditional-Chinese
buyers, buyers with declared codes, and sellers. Timing: `all_companies_seconds` is a cold run,
building the index from the database and computing every company's top 10 (target < 60 s at
scale 10); the warm run (index cached) and single `recommend()` calls are timed too.

Results: bench/results/recommend.json. Usage:
    .venv/bin/python bench/recommend.py [--quality-scale 1] [--timing-scale 10] [--seed 1]
                                        [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import git_head, loadavg  # noqa: E402
from benchlib import machine as _machine  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "recommend.json"
K = 10
TARGET_SECONDS = 60.0
_STARTED = float(os.environ.get("BIZWEEK_BENCH_T0", time.monotonic()))  # shared with children


def say(message: str) -> None:
    print(f"[{time.monotonic() - _STARTED:6.1f}s] {message}", flush=True)


def machine() -> dict[str, Any]:
    return {**_machine(), "loadavg": loadavg()}


# --- what ran ------------------------------------------------------------------------------


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for name in ("django", "numpy", "scipy", "scikit-learn", "opencc", "sentence-transformers"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


# --- child process: one scale ----------------------------------------------------------------


class BenchError(Exception):
    """The benchmark cannot run."""


def ensure_demo(scale: int, seed: int) -> dict[str, Any]:
    """Migrate, and build the demo when the database is empty; must run before any query."""
    from django.core.management import call_command

    from bizweek.companies.models import Company

    call_command("migrate", interactive=False, verbosity=0)
    if Company.objects.exists():
        say(f"reusing the demo in {os.environ['BIZWEEK_DATA_DIR']}")
        return {"reused": True}
    say(f"building the demo (scale {scale}, seed {seed}); about 45 s at scale 10")
    started = time.monotonic()
    call_command("demo", scale=scale, seed=seed, stdout=open(os.devnull, "w"))  # noqa: SIM115
    return {"reused": False, "build_s": round(time.monotonic() - started, 1)}


def regenerate(scale: int, seed: int) -> tuple[list[dict], list[dict]]:
    """The generator's profiles, drawn in builder.build_demo's order from the same seed."""
    from bizweek.demo import catalog

    rng = random.Random(seed)
    sellers = [catalog.seller_profile(rng, i) for i in range(catalog.SELLER_COUNT * scale)]
    buyers = [catalog.buyer_profile(rng, i) for i in range(catalog.BUYER_COUNT * scale)]
    return sellers, buyers


def check_database(sellers: list[dict], buyers: list[dict]) -> dict[str, int]:
    """The database must hold exactly these approved companies, or the labels are wrong."""
    from bizweek.companies.models import Company, CompanyStatus

    rows = {
        ext: (role, name_ko or "", name_en or "")
        for ext, role, name_ko, name_en in Company.objects.filter(
            status=CompanyStatus.APPROVED
        ).values_list("external_id", "role", "name_ko", "name_en")
    }
    expected = {p["external_id"]: (p["role"], p["name_ko"], p["name_en"]) for p in sellers + buyers}
    if rows != expected:
        wrong = sum(1 for ext, row in expected.items() if rows.get(ext) != row)
        raise BenchError(
            f"the database in {os.environ['BIZWEEK_DATA_DIR']} is not this demo "
            f"({wrong} of {len(expected)} companies differ, {len(rows)} approved in the "
            "database); run with --rebuild"
        )
    return {"approved_companies": len(rows)}


def blocked_pairs() -> set[tuple[int, int]]:
    from bizweek.matching.models import Mark, MarkValue, MeetingRequest
    from bizweek.recommend.services import BLOCKING_STATES

    pairs: set[tuple[int, int]] = set()
    requests = MeetingRequest.objects.filter(state__in=BLOCKING_STATES)
    for a, b in requests.values_list("from_company_id", "to_company_id"):
        pairs |= {(a, b), (b, a)}
    for a, b in Mark.objects.filter(value=MarkValue.NO_THANKS).values_list(
        "company_id", "target_id"
    ):
        pairs |= {(a, b), (b, a)}
    return pairs


class Truth:
    """Labels and candidate sets of one demo database."""

    def __init__(self, sellers: list[dict], buyers: list[dict]) -> None:
        from bizweek.companies.models import Company

        pk = dict(Company.objects.values_list("external_id", "pk"))
        self.wants: dict[int, set[str]] = {}
        for profile in sellers:
            self.wants[pk[profile["external_id"]]] = {p["hs_code"][:4] for p in profile["products"]}
        for profile in buyers:
            self.wants[pk[profile["external_id"]]] = set(profile["intent_hs"])
        self.sellers = [pk[p["external_id"]] for p in sellers]
        self.buyers = [pk[p["external_id"]] for p in buyers]
        self.role = dict.fromkeys(self.sellers, "seller") | dict.fromkeys(self.buyers, "buyer")
        self.groups = {
            "buyers": self.buyers,
            "buyers_text_only": [pk[p["external_id"]] for p in buyers if not p["hs_codes"]],
            "buyers_traditional_chinese": [
                pk[p["external_id"]] for p in buyers if p["description_zh_hant"]
            ],
            "buyers_text_only_traditional_chinese": [
                pk[p["external_id"]]
                for p in buyers
                if p["description_zh_hant"] and not p["hs_codes"]
            ],
            "buyers_declared_hs": [pk[p["external_id"]] for p in buyers if p["hs_codes"]],
            "sellers": self.sellers,
        }
        self.blocked = blocked_pairs()
        self.ideal = self._ideal_gains()

    def others(self, company: int) -> list[int]:
        return self.buyers if self.role[company] == "seller" else self.sellers

    def gain(self, a: int, b: int) -> int:
        if (a, b) in self.blocked or self.role[a] == self.role[b]:
            return 0
        return len(self.wants[a] & self.wants[b])

    def _ideal_gains(self) -> dict[int, list[int]]:
        """Each company's 10 best gains over every allowed counterpart (vectorised)."""
        import numpy as np
        from scipy import sparse

        headings = {code: i for i, code in enumerate(sorted(set().union(*self.wants.values())))}

        def matrix(ids: list[int]) -> sparse.csr_matrix:
            rows, cols = [], []
            for row, company in enumerate(ids):
                for code in self.wants[company]:
                    rows.append(row)
                    cols.append(headings[code])
            return sparse.csr_matrix(
                (np.ones(len(rows), dtype=np.float32), (rows, cols)),
                shape=(len(ids), len(headings)),
            )

        buyers, sellers = matrix(self.buyers), matrix(self.sellers)
        column = {company: i for i, company in enumerate(self.sellers)}
        row_of = {company: i for i, company in enumerate(self.buyers)}
        ideal: dict[int, list[int]] = {}
        seller_best = np.zeros((0, len(self.sellers)), dtype=np.float32)
        for start in range(0, len(self.buyers), 1024):
            block = (buyers[start : start + 1024] @ sellers.T).toarray()
            for a, b in self.blocked:
                if a in row_of and b in column and start <= row_of[a] < start + 1024:
                    block[row_of[a] - start, column[b]] = 0
            top = -np.sort(-block, axis=1)[:, :K]
            for i, company in enumerate(self.buyers[start : start + 1024]):
                ideal[company] = [int(g) for g in top[i] if g > 0]
            seller_best = -np.sort(-np.concatenate([seller_best, block]), axis=0)[:K]
        for j, company in enumerate(self.sellers):
            ideal[company] = [int(g) for g in seller_best[:, j] if g > 0]
        return ideal


def evaluate(truth: Truth, lists: dict[int, list[int]]) -> dict[str, dict[str, float]]:
    """Mean precision@10 and NDCG@10 per group (NDCG over companies with a relevant one)."""
    import math

    discounts = [1 / math.log2(i + 2) for i in range(K)]
    out = {}
    for group, companies in truth.groups.items():
        precision, ndcg, unanswerable = [], [], 0
        for company in companies:
            listed = lists.get(company, [])[:K]
            gains = [truth.gain(company, other) for other in listed]
            precision.append(sum(1 for g in gains if g > 0) / K)
            ideal = truth.ideal[company]
            if not ideal:
                unanswerable += 1
                continue
            dcg = sum(g * d for g, d in zip(gains, discounts, strict=False))
            ndcg.append(dcg / sum(g * d for g, d in zip(ideal, discounts, strict=False)))
        out[group] = {
            "precision_at_10": round(sum(precision) / max(len(precision), 1), 4),
            "ndcg_at_10": round(sum(ndcg) / max(len(ndcg), 1), 4),
            "companies": len(companies),
            "without_relevant": unanswerable,
        }
    return out


# --- baselines -------------------------------------------------------------------------------


def baseline_random(truth: Truth, seed: int) -> dict[int, list[int]]:
    rng = random.Random(seed)
    lists = {}
    for company in truth.role:
        picks = rng.sample(truth.others(company), min(K + 5, len(truth.others(company))))
        lists[company] = [o for o in picks if (company, o) not in truth.blocked][:K]
    return lists


def baseline_popularity(truth: Truth) -> dict[int, list[int]]:
    """The most-connected counterparts (meeting requests in any state), the same for all."""
    from bizweek.matching.models import MeetingRequest

    count: Counter = Counter()
    for a, b in MeetingRequest.objects.values_list("from_company_id", "to_company_id"):
        count[a] += 1
        count[b] += 1
    ranked = {
        role: sorted(ids, key=lambda c: (-count[c], c))[: K + 50]
        for role, ids in (("seller", truth.sellers), ("buyer", truth.buyers))
    }
    lists = {}
    for company, role in truth.role.items():
        pool = ranked["buyer" if role == "seller" else "seller"]
        lists[company] = [o for o in pool if (company, o) not in truth.blocked][:K]
    return lists


def _overlap_ranking(
    truth: Truth, features: dict[int, set], seed: int, tiebreak: dict[int, set] | None = None
) -> dict[int, list[int]]:
    """Rank counterparts by shared features (then shared `tiebreak` features), random ties."""
    import numpy as np
    from scipy import sparse

    vocabulary = {f: i for i, f in enumerate(sorted({f for fs in features.values() for f in fs}))}
    extra = tiebreak or {}
    extra_vocabulary = {
        f: i for i, f in enumerate(sorted({f for fs in extra.values() for f in fs}))
    }

    def matrix(ids: list[int], feats: dict[int, set], vocab: dict) -> sparse.csr_matrix:
        rows, cols = [], []
        for row, company in enumerate(ids):
            for f in feats.get(company, ()):
                rows.append(row)
                cols.append(vocab[f])
        return sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)),
            shape=(len(ids), max(len(vocab), 1)),
        )

    rng = np.random.default_rng(seed)
    blocked_by: dict[int, list[int]] = {}
    for a, b in truth.blocked:
        blocked_by.setdefault(a, []).append(b)
    lists: dict[int, list[int]] = {}
    for viewers, candidates in ((truth.buyers, truth.sellers), (truth.sellers, truth.buyers)):
        c_main = matrix(candidates, features, vocabulary).T.tocsr()
        c_extra = matrix(candidates, extra, extra_vocabulary).T.tocsr()
        cand = np.array(candidates)
        position = {c: i for i, c in enumerate(candidates)}
        for start in range(0, len(viewers), 1024):
            block = viewers[start : start + 1024]
            score = (matrix(block, features, vocabulary) @ c_main).toarray()
            score += 0.01 * (matrix(block, extra, extra_vocabulary) @ c_extra).toarray()
            score += 0.001 * rng.random(score.shape)
            for i, company in enumerate(block):
                for other in blocked_by.get(company, ()):
                    if other in position:
                        score[i, position[other]] = -1
            top = np.argpartition(-score, K, axis=1)[:, :K]
            for i, company in enumerate(block):
                order = top[i][np.argsort(-score[i, top[i]])]
                lists[company] = [int(cand[j]) for j in order if score[i, j] >= 0]
    return lists


def baseline_category(truth: Truth, seed: int) -> dict[int, list[int]]:
    from bizweek.companies.models import Company

    sectors: dict[int, set] = {c: set() for c in truth.role}
    for company, sector in Company.sectors.through.objects.values_list("company_id", "sector_id"):
        if company in sectors:
            sectors[company].add(sector)
    return _overlap_ranking(truth, sectors, seed)


def baseline_declared_hs(truth: Truth, seed: int) -> dict[int, list[int]]:
    from bizweek.companies.models import Company
    from bizweek.expo.models import Product

    headings: dict[int, set] = {c: set() for c in truth.role}
    for company, code in Company.hs_codes.through.objects.values_list("company_id", "hscode_id"):
        if company in headings and len(code) >= 4:
            headings[company].add(code[:4])
    for company, code in Product.objects.values_list("company_id", "hs_code_id"):
        if company in headings and code and len(code) >= 4:
            headings[company].add(code[:4])
    sectors: dict[int, set] = {c: set() for c in truth.role}
    for company, sector in Company.sectors.through.objects.values_list("company_id", "sector_id"):
        if company in sectors:
            sectors[company].add(sector)
    return _overlap_ranking(truth, headings, seed, tiebreak=sectors)


# --- ours ------------------------------------------------------------------------------------


def index_bytes(index: Any) -> int:
    from scipy import sparse

    total = 0
    matrices = [*index.hs.values(), index.sectors, index.exports, index.places]
    backend_matrix = getattr(index.backend, "matrix", None)
    if backend_matrix is not None:
        matrices.append(backend_matrix)
    embeddings = getattr(index.backend, "embeddings", None)
    if embeddings is not None:
        total += embeddings.nbytes
    for matrix in matrices:
        if sparse.issparse(matrix):
            total += matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes
    return total


def run_ours(truth: Truth, buyers: list[dict], seed: int) -> dict[str, Any]:
    import numpy as np

    from bizweek.companies.models import Company
    from bizweek.recommend import services as rec

    rec.clear_cache()
    say("ours: building the index and every company's top 10 (cold)")
    started = time.perf_counter()
    index = rec.get_index()
    built = time.perf_counter() - started
    everyone = rec.recommend_all(K)
    cold = time.perf_counter() - started
    say(f"  cold: {cold:.1f} s (index {built:.1f} s)")
    started = time.perf_counter()
    rec.recommend_all(K)
    warm = time.perf_counter() - started
    say(f"  warm (index cached): {warm:.1f} s")

    rng = random.Random(seed)
    sample = rng.sample(sorted(truth.role), min(30, len(truth.role)))
    companies = Company.objects.in_bulk(sample)
    single = []
    for pk in sample:
        started = time.perf_counter()
        rec.recommend(companies[pk], K)
        single.append(time.perf_counter() - started)
    single.sort()

    pk = dict(Company.objects.values_list("external_id", "pk"))
    tp = fp = fn = 0
    for profile in buyers:
        if profile["hs_codes"]:
            continue
        row = index.row_of[pk[profile["external_id"]]]
        got = set(index.codes[row][4]) if index.inferred[row] else set()
        want = set(profile["intent_hs"])
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
    return {
        "lists": {company: [o for o, _s in items] for company, items in everyone.items()},
        "timing": {
            "all_companies_seconds": round(cold, 2),
            "index_build_seconds": round(built, 2),
            "recommend_all_warm_seconds": round(warm, 2),
            "single_recommend_p50_ms": round(1000 * float(np.percentile(single, 50)), 1),
            "single_recommend_p95_ms": round(1000 * float(np.percentile(single, 95)), 1),
            "index_matrices_mb": round(index_bytes(index) / 2**20, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "text_backend": rec.backend_path(),
        },
        "inference_text_only_buyers": {
            "precision": round(tp / max(tp + fp, 1), 4),
            "recall": round(tp / max(tp + fn, 1), 4),
            "inferred_companies": int(index.inferred.sum()),
        },
    }


def run_scale(scale: int, seed: int, rebuild: bool, out: Path) -> None:
    data_dir = Path(os.environ["BIZWEEK_DATA_DIR"])
    if rebuild:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{data_dir / 'bizweek.sqlite3'}{suffix}").unlink(missing_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bizweek.settings")
    import django

    django.setup()
    from bizweek.expo.models import Product

    demo = ensure_demo(scale, seed)
    say(f"scale {scale}: regenerating the profiles (seed {seed})")
    sellers, buyers = regenerate(scale, seed)
    sizes = check_database(sellers, buyers)
    truth = Truth(sellers, buyers)
    sizes |= {
        "sellers": len(truth.sellers),
        "buyers": len(truth.buyers),
        "products": Product.objects.count(),
        "excluded_pairs": len(truth.blocked) // 2,
        **{f"{group}_count": len(ids) for group, ids in truth.groups.items()},
    }
    say(f"  {sizes['sellers']} sellers, {sizes['buyers']} buyers")
    ours = run_ours(truth, buyers, seed)
    methods = {"ours": ours.pop("lists")}
    say("baselines: random, popularity, category, declared_hs")
    methods["random"] = baseline_random(truth, seed)
    methods["popularity"] = baseline_popularity(truth)
    methods["category"] = baseline_category(truth, seed)
    methods["declared_hs"] = baseline_declared_hs(truth, seed)
    quality = {}
    for name, lists in methods.items():
        quality[name] = evaluate(truth, lists)
        buyers_q = quality[name]["buyers"]
        say(
            f"  {name:<12} buyers P@10 {buyers_q['precision_at_10']:.3f} "
            f"NDCG@10 {buyers_q['ndcg_at_10']:.3f}; text-only NDCG@10 "
            f"{quality[name]['buyers_text_only']['ndcg_at_10']:.3f}"
        )
    out.write_text(
        json.dumps(
            {"scale": scale, "seed": seed, "demo": demo, "sizes": sizes, "quality": quality} | ours,
            indent=2,
        )
    )


# --- parent ----------------------------------------------------------------------------------


def run_child(scale: int, seed: int, rebuild: bool) -> dict[str, Any]:
    data_dir = ROOT / "var" / f"bench-recommend-scale{scale}"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = os.environ | {
        "BIZWEEK_DATA_DIR": str(data_dir),
        "BIZWEEK_BENCH_T0": str(_STARTED),
        "PYTHONUNBUFFERED": "1",
    }
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    try:
        command = [sys.executable, __file__, "--child-scale", str(scale), "--seed", str(seed)]
        command += ["--out", str(out), *(["--rebuild"] if rebuild else [])]
        say(f"scale {scale}: {data_dir}")
        done = subprocess.run(command, env=env, check=False)  # noqa: S603
        if done.returncode != 0:
            raise BenchError(f"the scale-{scale} run failed (exit {done.returncode})")
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


def summary(quality: dict[str, Any], group: str) -> dict[str, Any]:
    return {
        name: {
            "precision_at_10": figures[group]["precision_at_10"],
            "ndcg_at_10": figures[group]["ndcg_at_10"],
        }
        for name, figures in quality.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quality-scale", type=int, default=1)
    parser.add_argument("--timing-scale", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true", help="Delete and rebuild the demos.")
    parser.add_argument("--child-scale", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child_scale:
        try:
            run_scale(opts.child_scale, opts.seed, opts.rebuild, opts.out)
        except BenchError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return 0

    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        runs = {opts.quality_scale: run_child(opts.quality_scale, opts.seed, opts.rebuild)}
        if opts.timing_scale != opts.quality_scale:
            runs[opts.timing_scale] = run_child(opts.timing_scale, opts.seed, opts.rebuild)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    quality = runs[opts.quality_scale]["quality"]
    timing = runs[opts.timing_scale]["timing"]
    ours, buyers = quality["ours"]["buyers"], "buyers"
    result = {
        "benchmark": "recommend",
        "started_at": started_at,
        "duration_s": round(time.monotonic() - _STARTED, 1),
        "quality_scale": opts.quality_scale,
        "timing_scale": opts.timing_scale,
        "seed": opts.seed,
        "ndcg_at_10": ours["ndcg_at_10"],
        "precision_at_10": ours["precision_at_10"],
        "baseline_category_ndcg_at_10": quality["category"][buyers]["ndcg_at_10"],
        "baseline_category_precision_at_10": quality["category"][buyers]["precision_at_10"],
        "baseline_random_ndcg_at_10": quality["random"][buyers]["ndcg_at_10"],
        "baseline_random_precision_at_10": quality["random"][buyers]["precision_at_10"],
        "baseline_popularity_ndcg_at_10": quality["popularity"][buyers]["ndcg_at_10"],
        "baseline_popularity_precision_at_10": quality["popularity"][buyers]["precision_at_10"],
        "baseline_declared_hs_ndcg_at_10": quality["declared_hs"][buyers]["ndcg_at_10"],
        "baseline_declared_hs_precision_at_10": quality["declared_hs"][buyers]["precision_at_10"],
        "all_companies_seconds": timing["all_companies_seconds"],
        "target": {
            "all_companies_max_seconds": TARGET_SECONDS,
            "pass": timing["all_companies_seconds"] < TARGET_SECONDS,
        },
        "groups": {
            group: summary(quality, group)
            for group in next(iter(quality.values()))
            if group != buyers
        },
        "inference_text_only_buyers": runs[opts.quality_scale]["inference_text_only_buyers"],
        "timing": timing,
        "sizes": {scale: run["sizes"] for scale, run in runs.items()},
        "demo": {scale: run["demo"] for scale, run in runs.items()},
        "per_scale": {
            scale: {
                "quality": run["quality"],
                "timing": run["timing"],
                "inference_text_only_buyers": run["inference_text_only_buyers"],
            }
            for scale, run in runs.items()
        },
        "ground_truth": (
            "a counterpart is relevant when the HS headings of the seller's products intersect "
            "the buyer's intent_hs from the demo generator; NDCG gain = shared headings; pairs "
            "with a pending/accepted/declined request or a No-thanks mark are excluded from "
            "lists and ideal lists alike"
        ),
        "versions": versions(),
        "machine": machine(),
        "git": git_head(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    r = result
    say(
        f"buyers NDCG@10 {r['ndcg_at_10']:.3f} (category {r['baseline_category_ndcg_at_10']:.3f}, "
        f"random {r['baseline_random_ndcg_at_10']:.3f}), P@10 {r['precision_at_10']:.3f}; "
        f"all companies at scale {opts.timing_scale}: {r['all_companies_seconds']:.1f} s"
    )
    say(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
