"""`python -m app.matching`: JSON in, JSON out; bad input exits 2 with one line, no traceback."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBLEM = {
    "weights": {"distance": 25},
    "residents": [
        {"id": "r1", "lat": 43.32002, "lon": -0.35034, "slots": ["mon-am", "tue-pm"], "languages": ["fr"],
         "interests": ["jeux", "lecture"], "volunteer_gender": None, "waiting_days": 90},
        {"id": 7, "lat": 43.32002, "lon": -0.35034, "slots": ["mon-am"], "languages": ["fr"],
         "interests": [], "volunteer_gender": "m", "waiting_days": 3},
    ],
    "volunteers": [
        {"id": "v1", "lat": 43.30453, "lon": -0.39349, "slots": ["mon-am", "tue-pm", "sun-eve"],
         "languages": ["fr", "oc"], "interests": ["jeux"], "gender": "f", "capacity": 2, "max_km": 5},
        {"id": 12, "lat": 43.30453, "lon": -0.39349, "slots": ["mon-am"], "languages": ["fr"],
         "interests": [], "gender": None, "capacity": 0, "max_km": 5.5},
    ],
    "excluded_pairs": [["r1", 12], ["nobody", "v1"]],
}


def run(tmp_path: Path, problem, *extra: str) -> subprocess.CompletedProcess:
    path = tmp_path / "problem.json"
    path.write_text(problem if isinstance(problem, str) else json.dumps(problem), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "app.matching", "solve", str(path), *extra],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )


EXPECTED = {
    "pairs": [{
        "resident": "r1", "volunteer": "v1", "score": 43.87,
        "parts": {"waiting": 20.0, "distance": 5.54, "slots": 13.33, "interests": 5.0},
        "distance_km": 3.893, "shared_slots": ["mon-am", "tue-pm"], "shared_interests": ["jeux"],
    }],
    "unmatched": [{"resident": "7", "reason": "no_candidate"}],
    "matched": 1,
    "total_score": 43.87,
}


def test_solve_prints_json(tmp_path):
    done = run(tmp_path, PROBLEM)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert json.loads(done.stdout) == EXPECTED


def test_solve_writes_output_file(tmp_path):
    out = tmp_path / "result.json"
    done = run(tmp_path, PROBLEM, "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8")) == EXPECTED


def test_help():
    for argv in (["--help"], ["solve", "--help"]):
        done = subprocess.run(
            [sys.executable, "-m", "app.matching", *argv], check=False, cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0 and "usage" in done.stdout


def mutate(path: str, value):
    """PROBLEM with the value at a dotted path replaced (or deleted when value is DELETE)."""
    problem = copy.deepcopy(PROBLEM)
    *parents, last = path.split(".")
    node = problem
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is DELETE:
        del node[int(last) if isinstance(node, list) else last]
    else:
        node[int(last) if isinstance(node, list) else last] = value
    return problem


DELETE = object()

BAD = {
    "unknown slot": (mutate("residents.0.slots", ["mon-night"]),
                     'residents[0] (id "r1"): field "slots": unknown slot "mon-night"'),
    "duplicate id": (mutate("volunteers.1.id", "v1"), 'volunteers[1] (id "v1"): field "id": duplicate id'),
    "duplicate id int/str": (mutate("residents.1.id", "r1"), 'residents[1] (id "r1"): field "id": duplicate'),
    "latitude": (mutate("residents.1.lat", 90.5), 'residents[1] (id "7"): field "lat"'),
    "longitude": (mutate("volunteers.0.lon", -181), 'volunteers[0] (id "v1"): field "lon"'),
    "negative capacity": (mutate("volunteers.0.capacity", -1), 'volunteers[0] (id "v1"): field "capacity"'),
    "negative waiting": (mutate("residents.0.waiting_days", -2), 'residents[0] (id "r1"): field "waiting_days"'),
    "negative max_km": (mutate("volunteers.1.max_km", -0.1), 'volunteers[1] (id "12"): field "max_km"'),
    "missing field": (mutate("volunteers.0.max_km", DELETE), 'volunteers[0] (id "v1"): field "max_km": missing'),
    "missing id": (mutate("residents.0.id", DELETE), 'residents[0]: field "id": missing'),
    "wrong type": (mutate("residents.0.lat", "43.3"), 'residents[0] (id "r1"): field "lat": expected a number'),
    "float waiting": (mutate("residents.0.waiting_days", 2.5), 'field "waiting_days": expected an integer'),
    "bool capacity": (mutate("volunteers.0.capacity", True), 'field "capacity": expected an integer'),
    "slots not a list": (mutate("volunteers.0.slots", "mon-am"), 'field "slots": expected a list of strings'),
    "bad gender": (mutate("volunteers.0.gender", "x"), 'volunteers[0] (id "v1"): field "gender"'),
    "bad wish": (mutate("residents.0.volunteer_gender", "F"), 'field "volunteer_gender"'),
    "negative weight": (mutate("weights.distance", -5), 'weights: field "distance"'),
    "unknown weight": (mutate("weights.distanse", 5), 'weights: field "distanse"'),
    "item not object": (mutate("residents.0", ["r1"]), "residents[0]: expected an object"),
    "residents missing": (mutate("residents", DELETE), 'field "residents": missing'),
    "bad excluded pair": (mutate("excluded_pairs.0", ["r1"]), "excluded_pairs[0]"),
    "top level not object": ([1, 2], "problem: expected an object"),
    "not JSON": ("{residents: [", "is not valid JSON"),
    "empty file": ("", "is not valid JSON"),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_input_exits_2_with_one_line(tmp_path, kind):
    problem, message = BAD[kind]
    done = run(tmp_path, problem)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert message in lines[0]


@pytest.mark.parametrize("target", ["missing.json", "."])
def test_unreadable_file(tmp_path, target):
    done = subprocess.run(
        [sys.executable, "-m", "app.matching", "solve", str(tmp_path / target)],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("error: cannot read")


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"residents": ["\xe9"]}')
    done = subprocess.run(
        [sys.executable, "-m", "app.matching", "solve", str(path)],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
