"""Argument types of the ``quadgait`` command line: each rejects bad input with one line naming what is valid."""

from __future__ import annotations

import argparse
import math


class CLIError(Exception):
    """A user error: printed as one line on stderr, exit code 2."""


def finite(kind: type, lo: float | None = None, hi: float | None = None):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value) or (lo is not None and value < lo) or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"{text!r} is out of range [{lo}, {hi}]")
        return value
    return parse


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
    from envs.tasks.common import check_command

    parts = text.replace(" ", "").split(",")
    try:
        values = [float(p) for p in parts]
        return tuple(check_command(values, "--command"))
    except ValueError as exc:
        message = str(exc) if len(parts) == 3 else "expected three numbers vx,vy,yaw_rate (m/s, m/s, rad/s)"
        raise argparse.ArgumentTypeError(f"{message}, got {text!r}") from None
