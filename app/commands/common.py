"""What every command shares: one-line errors with exit status 2, and safe file reading."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click


def fail(message: str) -> NoReturn:
    """Print one line on stderr and exit with status 2."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(2)


def read_text_file(path: Path) -> str:
    """A UTF-8 text file's content, or a one-line error for a missing or unreadable file."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        fail(f"{path}: no such file")
    except IsADirectoryError:
        fail(f"{path}: is a folder, not a file")
    except UnicodeDecodeError:
        fail(f"{path}: not a UTF-8 text file")
    except OSError as exc:
        fail(f"{path}: {exc.strerror}")
