"""bandit on app/: no finding of medium or high severity (a justified one carries ``# nosec``).

Low findings (the demo's published password, its seeded ``random.Random``) are not failures;
``bandit -r app`` lists them. Costs about 4 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def medium_or_high(path: Path) -> tuple[list[str], int]:
    """bandit's findings of medium or high severity under ``path``, and the lines it read."""
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", str(path), "-f", "json", "-q",
         "--severity-level", "medium"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    report = json.loads(result.stdout)
    assert not report["errors"], report["errors"]
    findings = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_severity']}: "
                f"{r['issue_text']}" for r in report["results"]]
    return findings, report["metrics"]["_totals"]["loc"]


def test_bandit_finds_nothing_medium_or_high_in_app():
    findings, lines = medium_or_high(ROOT / "app")
    assert lines > 5000, "bandit did not read the app"
    assert not findings, "\n".join(findings)


def test_the_scan_does_fail_on_a_real_finding(tmp_path):
    (tmp_path / "bad.py").write_text(
        "import subprocess\n\ndef run(name):\n"
        "    return subprocess.call('ls ' + name, shell=True)\n")
    findings, _ = medium_or_high(tmp_path)
    assert any("B602" in finding for finding in findings), findings
