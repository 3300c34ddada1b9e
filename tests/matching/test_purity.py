"""app.matching imports neither Flask nor SQLAlchemy (nor the rest of the app)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import sys
import app.matching, app.matching.__main__, app.matching.greedy
bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'flask_sqlalchemy'))
other = sorted(m for m in sys.modules if m.startswith('app.') and not m.startswith('app.matching'))
assert not bad and not other, (bad, other)
print('pure')
"""


def test_package_is_pure():
    done = subprocess.run(
        [sys.executable, "-c", CHECK], check=False, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "pure"
