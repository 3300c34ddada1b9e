"""Command line: `python -m app.matching solve PROBLEM.json [-o RESULT.json]`.

Bad input (unreadable file, not JSON, a rule broken by an item) exits with status 2 and one
line on stderr naming the item and the field; it never prints a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .engine import solve
from .model import InvalidProblem
from .problem import parse_problem, result_to_json

EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (one subcommand: solve)."""
    parser = argparse.ArgumentParser(
        prog="python -m app.matching",
        description="Voisinage matching engine: the exact optimal resident-volunteer pairs.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    solve_cmd = sub.add_parser("solve", help="solve a problem file and print the result as JSON")
    solve_cmd.add_argument("problem", type=Path, help="problem file (JSON, see app/matching/problem.py)")
    solve_cmd.add_argument("-o", "--output", type=Path, help="write the result to this file instead of stdout")
    return parser


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def run(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        text = args.problem.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(f"cannot read {args.problem}: {getattr(exc, 'strerror', None) or exc}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return _fail(f"{args.problem} is not valid JSON: {exc}")
    except RecursionError:
        return _fail(f"{args.problem} is nested too deeply")
    try:
        residents, volunteers, excluded, weights = parse_problem(data)
        result = solve(residents, volunteers, excluded, weights)
    except InvalidProblem as exc:
        return _fail(str(exc))
    out = json.dumps(result_to_json(result), indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        sys.stdout.write(out)
        return 0
    try:
        args.output.write_text(out, encoding="utf-8")
    except OSError as exc:
        return _fail(f"cannot write {args.output}: {exc.strerror or exc}")
    return 0


def _fail(message: str) -> int:
    print(f"error: {_one_line(message)}", file=sys.stderr)
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(run())
