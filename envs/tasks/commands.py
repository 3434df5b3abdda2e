"""Where a task's command comes from over an episode (pure numpy): one held command, or the velocity tasks'
generator (fixed, heading mode, scheduled or sampled).

Every task owns a *command source* (:attr:`envs.tasks.common.Task.commands`): the task's ``reset`` hands it the
reset options, ``update`` lets it change the command after each control step, and ``set_command`` (the env's
:meth:`~envs.env.QuadrupedEnv.set_command`) makes it hold a command from the next step on, for live driving.
See :mod:`envs.tasks.velocity` for the velocity tasks' modes.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np

from envs.config import is_number
from envs.state import RobotState

#: The largest command any task accepts: |vx| m/s, |vy| m/s, |yaw rate| rad/s.
COMMAND_LIMITS = np.array([3.0, 2.0, 3.0])


def only_numbers(value: Any) -> bool:
    """Whether ``value`` (a number, or nested sequences / arrays of them) holds only real numbers: no bools and no
    strings, which ``np.asarray(..., dtype=float)`` would silently turn into 1.0/0.0 or parse (the same rule as the
    ``gymnasium.make`` settings)."""
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "iuf" or (value.dtype.kind == "O" and all(only_numbers(v) for v in value.flat))
    if isinstance(value, (list, tuple)):
        return all(only_numbers(v) for v in value)
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def check_command(value: Any, what: str = "options['command']") -> np.ndarray:
    """A (vx, vy, yaw rate) command as a float array, within :data:`COMMAND_LIMITS`; ValueError otherwise."""
    try:
        cmd = np.asarray(value, dtype=float) if only_numbers(value) else None
    except (TypeError, ValueError):
        cmd = None
    if cmd is None or cmd.shape != (3,) or not np.all(np.isfinite(cmd)):
        raise ValueError(f"{what} must be 3 finite numbers (vx m/s, vy m/s, yaw rate rad/s), got {value!r}")
    if np.any(np.abs(cmd) > COMMAND_LIMITS):
        raise ValueError(f"{what}={cmd.tolist()} is out of range; valid: |vx| <= {COMMAND_LIMITS[0]} m/s, "
                         f"|vy| <= {COMMAND_LIMITS[1]} m/s, |yaw rate| <= {COMMAND_LIMITS[2]} rad/s")
    return cmd


def wrap_angle(angle_rad: float) -> float:
    """Angle wrapped to [-π, π), rad."""
    return float((angle_rad + np.pi) % (2 * np.pi) - np.pi)


class CommandSource(Protocol):
    """What a task's command source offers (:class:`HeldCommand`, :class:`CommandGenerator`)."""

    #: The command in effect: (vx m/s, vy m/s, yaw rate rad/s) in the body's heading frame.
    command: np.ndarray

    def reset(self, rng: np.random.Generator, options: Mapping[str, Any], state: RobotState) -> None: ...

    def update(self, rng: np.random.Generator, state: RobotState) -> None: ...

    def hold(self, command: Any) -> None: ...


class HeldCommand:
    """One command all episode: ``options["command"]`` at reset, else ``default``; :meth:`hold` replaces it.

    Args:
        default: the command of an episode reset without ``options["command"]`` (vx m/s, vy m/s, yaw rate rad/s).
        check: validates a command and returns it as a float array (ValueError otherwise); called as
            ``check(value, what)`` with ``what`` naming the value for the message.
    """

    RESET_OPTIONS = ("command",)

    def __init__(self, default: Any = (0.0, 0.0, 0.0),
                 check: Callable[[Any, str], np.ndarray] = check_command) -> None:
        self._default = np.array(default, dtype=float)
        self._check = check
        self.command = self._default.copy()

    def reset(self, rng: np.random.Generator, options: Mapping[str, Any], state: RobotState) -> None:
        if "command" in options:
            self.command = self._check(options["command"], "options['command']")
        else:
            self.command = self._default.copy()

    def update(self, rng: np.random.Generator, state: RobotState) -> None:
        pass

    def hold(self, command: Any) -> None:
        self.command = self._check(command, "the command")


class CommandGenerator:
    """The command of a velocity-type task over an episode (see the module docstring for the modes)."""

    RESET_OPTIONS = ("command", "heading_rad", "command_schedule")

    def __init__(self, settings: Any) -> None:
        """``settings``: a :class:`~envs.tasks.velocity.VelocityTaskSettings` (ranges, resampling, modes)."""
        self.settings = settings
        self.command = np.zeros(3)
        self.heading_rad: float | None = None
        self._fixed: np.ndarray | None = None
        self._schedule: np.ndarray | None = None
        self._next_change_s = np.inf

    def reset(self, rng: np.random.Generator, options: Mapping[str, Any], state: RobotState) -> None:
        self._fixed = self._schedule = None
        self.heading_rad = None
        if "command_schedule" in options:
            if "command" in options or "heading_rad" in options:
                raise ValueError("options['command_schedule'] cannot be combined with 'command' or 'heading_rad'")
            self._schedule = parse_schedule(options["command_schedule"])
        elif "command" in options:
            self._fixed = check_command(options["command"])
        if "heading_rad" in options:
            if self._fixed is None:
                raise ValueError("options['heading_rad'] needs options['command'] (vx, vy, 0)")
            if self._fixed[2] != 0.0:
                raise ValueError("with options['heading_rad'] the yaw rate comes from the heading error: give "
                                 "options['command'] as (vx, vy, 0)")
            heading = options["heading_rad"]
            if not is_number(heading):
                raise ValueError(f"options['heading_rad'] must be a finite number (rad), got {heading!r}")
            self.heading_rad = wrap_angle(float(heading))
        self._change(rng, state)

    def hold(self, command: Any) -> None:
        """Hold ``command`` from now on (a live command source, e.g. a keyboard; no heading mode)."""
        self._fixed, self._schedule, self.heading_rad = check_command(command, "the command"), None, None
        self.command = self._fixed.copy()
        self._next_change_s = np.inf

    def update(self, rng: np.random.Generator, state: RobotState) -> None:
        if state.time_s + 1e-9 >= self._next_change_s:
            self._change(rng, state)
        elif self.heading_rad is not None:
            self.command[2] = self._heading_yaw_rate(self.heading_rad, state)

    def _change(self, rng: np.random.Generator, state: RobotState) -> None:
        s = self.settings
        if self._schedule is not None:
            row = int(np.searchsorted(self._schedule[:, 0], state.time_s + 1e-9, side="right")) - 1
            self.command = self._schedule[row, 1:].copy()
            self._next_change_s = self._schedule[row + 1, 0] if row + 1 < len(self._schedule) else np.inf
            return
        if self._fixed is not None:
            self.command = self._fixed.copy()
            self._next_change_s = np.inf
        else:
            self.heading_rad = None
            self.command = rng.uniform(s.command_low, s.command_high)
            if s.standing_probability > 0 and rng.random() < s.standing_probability:
                self.command = np.zeros(3)
            elif s.heading_probability > 0 and rng.random() < s.heading_probability:
                self.heading_rad = float(rng.uniform(-np.pi, np.pi))
            self._next_change_s = state.time_s + s.command_resample_s
        if self.heading_rad is not None:
            self.command[2] = self._heading_yaw_rate(self.heading_rad, state)

    def _heading_yaw_rate(self, heading_rad: float, state: RobotState) -> float:
        lo, hi = self.settings.yaw_rate_range_radps
        return float(np.clip(self.settings.heading_gain * wrap_angle(heading_rad - state.yaw_rad), lo, hi))


def parse_schedule(value: Any) -> np.ndarray:
    """Rows of (start_s, vx, vy, yaw_rate), starting at 0 s with strictly increasing start times."""
    try:
        rows = np.asarray(value, dtype=float) if only_numbers(value) else None
    except (TypeError, ValueError):
        rows = None
    if rows is None or rows.ndim != 2 or rows.shape[1] != 4 or len(rows) < 1 or not np.all(np.isfinite(rows)):
        raise ValueError("options['command_schedule'] must be rows of (start_s, vx, vy, yaw_rate), got "
                         f"{value!r}")
    if rows[0, 0] != 0.0 or np.any(np.diff(rows[:, 0]) <= 0):
        raise ValueError("options['command_schedule'] must start at 0 s with strictly increasing start times")
    for row in rows:
        check_command(row[1:], "a command_schedule row")
    return rows
