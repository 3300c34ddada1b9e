"""Benchmark of the matching engine against the greedy baseline on generated cities.

Usage: python bench/matching.py [--sizes 1000,10000,100000] [--seed 7]

Each size runs in two fresh child processes (engine, greedy) on the same generated city, so
that each one's peak memory is its own: "peak MB" is getrusage's ru_maxrss of the child, which
includes the interpreter, the libraries and the generated input; "input MB" is the same measure
just before solving (so peak - input is what the method itself added at most). "cand s" is
validation, encoding and every possible pair with its score; "solve s" is the rest (for the
engine: prices, solves, certificate, explained pairs); both are wall times, and "cpu s" is the
process CPU time of the two together (time.process_time), the steadier figure when other work
shares the machine. The parent prints one table, the engine/greedy ratios and the engine's
phases (wall and CPU seconds).

The generated city (constant density, so a bigger city is a wider one, not a denser one):
  - residents: 5 per km2 on a square centred on Pau; 1 neighbourhood per 50 residents (40 per
    2,000), neighbourhood points uniform in the square, neighbourhood sizes lognormal(0, 0.5);
    everybody sits on their neighbourhood's point;
  - volunteers: 0.6 per resident, spread over the neighbourhoods with the same weights;
    capacity (free places) uniform 1-3; max_km uniform 2-10 km (0.1 km steps);
  - slots: 3-8 of the 21; residents favour mornings and afternoons, volunteers evenings and
    weekends;
  - languages: 92% of residents and 97% of volunteers speak French; a second language for 25%
    (Occitan, Spanish, Basque, English, Arabic, Portuguese); the others speak only one of those;
  - interests: 1-5 of 12; gender: 20% of residents want a given gender (75% "f"); volunteers
    60% "f", 35% "m", 5% not given; waiting days: exponential, mean 45, at most 400.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.matching import Resident, Volunteer, Weights
from app.matching.engine import gc_paused, prepare, solve_with_stats
from app.matching.greedy import greedy_assignment
from app.matching.model import PARTS, SLOTS
from app.matching.pairs import make_pairs
from app.matching.solver import clock_now

DENSITY_PER_KM2 = 5.0
RESIDENTS_PER_NEIGHBOURHOOD = 50
VOLUNTEERS_PER_RESIDENT = 0.6
CENTRE = (43.2951, -0.3708)  # Pau
KM_PER_DEG_LAT = 111.195
OTHER_LANGUAGES = ("oc", "es", "eu", "en", "ar", "pt")
INTERESTS = (
    "lecture", "jeux", "cuisine", "jardinage", "musique", "promenade",
    "cinema", "histoire", "sport", "tricot", "rugby", "photo",
)
TIME_LIMIT_S = 170  # the whole bench is bounded; a child taking longer is stopped


def _slot_weights(part_w: tuple[float, float, float], weekend: float) -> np.ndarray:
    w = np.array([part_w[PARTS.index(s.split("-")[1])] * (weekend if s[:3] in ("sat", "sun") else 1.0) for s in SLOTS])
    return w / w.sum()


def _sets(rng: np.random.Generator, n: int, pool: tuple[str, ...], lo: int, hi: int, p=None) -> list[frozenset[str]]:
    sizes = rng.integers(lo, hi + 1, n)
    return [frozenset(rng.choice(pool, size=k, replace=False, p=p).tolist()) for k in sizes]


def _languages(rng: np.random.Generator, n: int, french: float) -> list[frozenset[str]]:
    out = []
    speaks_fr = rng.random(n) < french
    second = rng.random(n) < 0.25
    other = rng.integers(0, len(OTHER_LANGUAGES), n)
    for fr, two, o in zip(speaks_fr.tolist(), second.tolist(), other.tolist(), strict=True):
        langs = {OTHER_LANGUAGES[o]} if (two or not fr) else set()
        if fr:
            langs.add("fr")
        out.append(frozenset(langs))
    return out


def _genders(rng: np.random.Generator, n: int, probs: dict[str | None, float]) -> list[str | None]:
    keys = list(probs)
    idx = rng.choice(len(keys), size=n, p=list(probs.values()))
    return [keys[i] for i in idx.tolist()]


def generate_city(n_res: int, seed: int) -> tuple[list[Resident], list[Volunteer]]:
    """A reproducible city of `n_res` residents (see the module docstring)."""
    rng = np.random.default_rng(seed)
    side_km = (n_res / DENSITY_PER_KM2) ** 0.5
    n_nb = max(1, n_res // RESIDENTS_PER_NEIGHBOURHOOD)
    xy = rng.uniform(-side_km / 2, side_km / 2, (n_nb, 2))
    nb_lat = np.round(CENTRE[0] + xy[:, 1] / KM_PER_DEG_LAT, 6)
    nb_lon = np.round(CENTRE[1] + xy[:, 0] / (KM_PER_DEG_LAT * np.cos(np.radians(CENTRE[0]))), 6)
    weight = rng.lognormal(0.0, 0.5, n_nb)
    weight /= weight.sum()
    n_vol = round(n_res * VOLUNTEERS_PER_RESIDENT)
    r_nb = rng.choice(n_nb, size=n_res, p=weight)
    v_nb = rng.choice(n_nb, size=n_vol, p=weight)
    r_slots = _sets(rng, n_res, SLOTS, 3, 8, _slot_weights((0.45, 0.45, 0.10), 0.8))
    v_slots = _sets(rng, n_vol, SLOTS, 3, 8, _slot_weights((0.25, 0.30, 0.45), 1.6))
    r_lang, v_lang = _languages(rng, n_res, 0.92), _languages(rng, n_vol, 0.97)
    r_int, v_int = _sets(rng, n_res, INTERESTS, 1, 5), _sets(rng, n_vol, INTERESTS, 1, 5)
    wants = rng.random(n_res) < 0.20
    r_pref = [g if w else None for g, w in zip(_genders(rng, n_res, {"f": 0.75, "m": 0.25}), wants.tolist(), strict=True)]
    v_gender = _genders(rng, n_vol, {"f": 0.60, "m": 0.35, None: 0.05})
    waiting = np.minimum(rng.exponential(45.0, n_res).astype(int), 400).tolist()
    capacity = rng.integers(1, 4, n_vol).tolist()
    max_km = np.round(rng.uniform(2.0, 10.0, n_vol), 1).tolist()
    residents = [
        Resident(f"r{i:06d}", float(nb_lat[b]), float(nb_lon[b]), r_slots[i], r_lang[i], r_int[i], r_pref[i], waiting[i])
        for i, b in enumerate(r_nb.tolist())
    ]
    volunteers = [
        Volunteer(f"v{j:06d}", float(nb_lat[b]), float(nb_lon[b]), v_slots[j], v_lang[j], v_int[j], v_gender[j],
                  capacity[j], max_km[j])
        for j, b in enumerate(v_nb.tolist())
    ]
    return residents, volunteers


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(method: str, n_res: int, seed: int) -> dict:
    """Generate the city and run one method on it; the result as a dict."""
    residents, volunteers = generate_city(n_res, seed)
    before = peak_rss_mb()
    if method == "engine":
        result, stats = solve_with_stats(residents, volunteers)
        out = {"candidates_s": stats.candidates_s, "solve_s": stats.solve_s,
               "cpu_s": stats.candidates_cpu_s + stats.solve_cpu_s, "matched": result.matched,
               "total_score": result.total_score, "pairs": stats.possible_pairs, "rounds": stats.solver.rounds,
               "edges": stats.solver.edges, "added": stats.solver.added,
               "full_solves": stats.solver.full_solves, "region_solves": stats.solver.region_solves,
               "phases": {k: round(v, 2) for k, v in stats.solver.seconds.items()},
               "phases_cpu": {k: round(v, 2) for k, v in stats.solver.cpu_seconds.items()},
               "unmatched_no_candidate": sum(u.reason == "no_candidate" for u in result.unmatched)}
    else:
        with gc_paused():  # as the engine does, so that the two are timed alike
            t0, c0 = clock_now()
            prep = prepare(residents, volunteers, frozenset(), Weights())
            t1 = time.perf_counter()
            match_v = greedy_assignment(prep.candidates, prep.scorer.vt.capacity, prep.scorer.rt.waiting_days)
            matched = np.flatnonzero(match_v >= 0)
            pairs = make_pairs(prep.scorer, prep.residents, prep.volunteers, matched, match_v[matched])
            t2, c2 = clock_now()
        out = {"candidates_s": t1 - t0, "solve_s": t2 - t1, "cpu_s": c2 - c0, "matched": len(pairs),
               "total_score": float(sum(p.score for p in pairs)), "pairs": prep.candidates.n_pairs}
    out.update(method=method, residents=n_res, volunteers=len(volunteers), rss_before_mb=before,
               peak_rss_mb=peak_rss_mb())
    return out


def main() -> None:
    """Parse options, run every size in child processes, print the table and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated resident counts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.child:
        print(json.dumps(run_child(args.child, sizes[0], args.seed)))
        return
    deadline = time.monotonic() + TIME_LIMIT_S
    rows = []
    for n in sizes:
        for method in ("engine", "greedy"):
            left = deadline - time.monotonic()
            cmd = [sys.executable, __file__, "--child", method, "--sizes", str(n), "--seed", str(args.seed)]
            try:
                done = subprocess.run(cmd, capture_output=True, text=True, timeout=max(left, 1), check=True)
            except subprocess.TimeoutExpired:
                print(f"stopped: {method} on {n} residents went past the bench's time limit", file=sys.stderr)
                break
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print_table(rows)


def print_table(rows: list[dict]) -> None:
    """Plain-text table, then the engine/greedy ratios per size."""
    head = f"{'residents':>9} {'volunteers':>10} {'method':>6} {'pairs':>11} {'cand s':>7} {'solve s':>7} " \
           f"{'total s':>7} {'cpu s':>6} {'input MB':>8} {'peak MB':>8} {'matched':>8} {'total score':>13}"
    print(head)
    print("-" * len(head))
    for r in rows:
        total = r["candidates_s"] + r["solve_s"]
        print(f"{r['residents']:>9} {r['volunteers']:>10} {r['method']:>6} {r['pairs']:>11,} {r['candidates_s']:>7.2f} "
              f"{r['solve_s']:>7.2f} {total:>7.2f} {r['cpu_s']:>6.2f} {r['rss_before_mb']:>8.0f} {r['peak_rss_mb']:>8.0f} {r['matched']:>8} "
              f"{r['total_score']:>13.2f}")
    print()
    by = {(r["residents"], r["method"]): r for r in rows}
    for n in sorted({r["residents"] for r in rows}):
        e, g = by.get((n, "engine")), by.get((n, "greedy"))
        if not (e and g):
            continue
        te, tg = e["candidates_s"] + e["solve_s"], g["candidates_s"] + g["solve_s"]
        matchable = e["residents"] - e["unmatched_no_candidate"]
        print(f"{n:>7} residents: engine/greedy matched {e['matched'] / max(g['matched'], 1):.4f} "
              f"(+{e['matched'] - g['matched']}), total score {e['total_score'] / max(g['total_score'], 1e-9):.4f}, "
              f"time {te / max(tg, 1e-9):.2f} (cpu {e['cpu_s'] / max(g['cpu_s'], 1e-9):.2f})")
        print(f"{'':>9}matchable residents {matchable}: engine leaves {matchable - e['matched']}, greedy leaves "
              f"{matchable - g['matched']} ({(matchable - g['matched']) / max(matchable, 1):.2%})")
        print(f"{'':>9}engine: {e['rounds']} rounds, E' sizes {e['edges']}, added {e['added']}, "
              f"{e['full_solves']} full and {e['region_solves']} region solves")
        print(f"{'':>9}engine phases, wall s {e['phases']}, cpu s {e['phases_cpu']}")


if __name__ == "__main__":
    main()
