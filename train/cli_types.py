"""Argument types and exit codes of the ``quadgait`` command line: each type rejects bad input with one line naming
what is valid."""

from __future__ import annotations

import argparse
import math

#: Exit codes (docs/reliability.md). 1 is left to Python: an uncaught exception, i.e. a bug.
EXIT_OK = 0
EXIT_BAD_INPUT = 2  # bad arguments, files or paths; one line on stderr, nothing run
EXIT_FAILED = 3  # the run completed, but the robot fell (walk, demo, eval) or benchmark cells failed
EXIT_NOT_SAVED = 4  # bench: every episode ran, but the report could not be written (the summary went to stdout)
EXIT_INTERRUPTED = 130  # Ctrl-C; train saved a checkpoint, bench wrote a partial report
EXIT_BROKEN_PIPE = 141  # stdout was closed early (e.g. `| head`), as a program killed by SIGPIPE

MAX_SEED = 2**32 - 1


class CLIError(Exception):
    """A user error: printed as one line on stderr, exit code 2."""


def seed(text: str) -> int:
    """A reset/training seed: a whole number in [0, 2**32 - 1]."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"{text!r} is out of range [0, {MAX_SEED}]")
    return value


def int_range(lo: int, hi: int):
    """A whole number in [lo, hi]."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{text!r} is out of range [{lo}, {hi}]")
        return value
    return parse


def finite(kind: type, lo: float | None = None, hi: float | None = None):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value) and lo is None and hi is None:
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
        if not math.isfinite(value) or (lo is not None and value < lo) or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"{text!r} is out of range [{lo}, {hi}]")
        return value
    return parse


def folder(text: str) -> str:
    """A folder path; an empty one would mean the current folder, which is never what was meant."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty; give a folder path (e.g. runs/walk)")
    return text


def count(text: str) -> int:
    """A whole number of steps, also written as 2e6 or 2_000_000."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not math.isfinite(value) or value != int(value) or value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(value)


def terrain(text: str) -> str:
    from envs.terrain import TerrainSpec

    try:
        return TerrainSpec.parse(text).name
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def command(text: str) -> tuple[float, float, float]:
    """``vx,vy,yaw_rate`` (m/s, m/s, rad/s), e.g. ``0.5,0,0.3``."""
    from envs.tasks.commands import check_command

    parts = text.replace(" ", "").split(",")
    try:
        values = [float(p) for p in parts]
        return tuple(check_command(values, "--command"))
    except ValueError as exc:
        message = str(exc) if len(parts) == 3 else "expected three numbers vx,vy,yaw_rate (m/s, m/s, rad/s)"
        raise argparse.ArgumentTypeError(f"{message}, got {text!r}") from None
