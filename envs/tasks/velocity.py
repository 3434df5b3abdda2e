"""The velocity-command task (pure numpy): track a commanded body velocity (vx, vy, yaw rate) or a heading.

The task owns the command (:class:`CommandGenerator`): it is fixed for an episode with
``reset(options={"command": (vx, vy, yaw_rate)})``, optionally with ``"heading_rad"`` (then the yaw-rate entry
is computed every step from the heading error, as in legged_gym's heading mode), follows a piecewise-constant
``"command_schedule"`` (rows of ``(start_s, vx, vy, yaw_rate)``), or is drawn from the env's seeded generator
every ``command_resample_s`` seconds. The command in effect is in the observation (``command``: vx m/s, vy m/s,
yaw rate rad/s), in ``info["command"]`` and in the reward; when it changes at the end of a control step, that
step's reward, observation and info already use the new one.

Velocity tracking uses the exponential kernels common to legged-robot RL (legged_gym, MuJoCo Playground):

=================  ===============================================  =====================================
term               definition (per control step)                     note
=================  ===============================================  =====================================
lin_vel_tracking   exp(−‖v_xy − c_xy‖² / σ_v²), body frame            1 at perfect tracking, σ_v = 0.25 m/s
ang_vel_tracking   exp(−(ω_z − c_yaw)² / σ_w²)                        σ_w = 0.25 rad/s
lin_vel_z          −v_z²                                             no bouncing
ang_vel_xy         −(ω_x² + ω_y²)                                    no rocking
orientation        −(g_x² + g_y²)                                    stay level
energy             −Σ|τ·q̇|                                           W
action_rate        −‖a_t − a_{t−1}‖²
alive              +1
gait_contact       fraction of feet whose contact equals the         gait task only: 1 when the measured
                   commanded gait's stance/swing (from its clock)    footfalls follow the commanded gait
=================  ===============================================  =====================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from envs.config import check_interval, check_range, frozen_weights
from envs.state import RobotState
from envs.tasks.common import COMMAND_LIMITS, Feature, Task, check_command

TRACKING_SIGMA_MPS = 0.25
TRACKING_SIGMA_RADPS = 0.25

DEFAULT_VELOCITY_WEIGHTS: Mapping[str, float] = MappingProxyType({
    "lin_vel_tracking": 1.0,
    "ang_vel_tracking": 0.5,
    "lin_vel_z": 1.0,
    "ang_vel_xy": 0.05,
    "orientation": 1.0,
    "energy": 0.0002,
    "action_rate": 0.02,
    "alive": 1.0,  # see envs.tasks.walk: a small alive bonus teaches PPO to fall early
})
DEFAULT_GAIT_WEIGHTS: Mapping[str, float] = MappingProxyType({**DEFAULT_VELOCITY_WEIGHTS, "gait_contact": 0.5})


def tracking_reward(error: float | np.ndarray, sigma: float) -> float:
    """exp(−error² / sigma²): 1 at zero error, falling smoothly with |error| (error may be a vector: its norm)."""
    err = np.asarray(error, dtype=float)
    squared = float(err @ err) if err.ndim else float(err * err)
    return float(np.exp(-squared / sigma**2))


def gait_contact_reward(desired_stance: np.ndarray, contacts: np.ndarray) -> float:
    """Fraction of the four feet whose measured contact equals the commanded stance (1 = all match)."""
    return float(np.mean(np.asarray(desired_stance, bool) == np.asarray(contacts, bool)))


def velocity_terms(state: RobotState, command: np.ndarray, action: np.ndarray,
                   previous_action: np.ndarray) -> dict[str, float]:
    """Unweighted velocity-task terms (see the module table)."""
    v, w, g = state.base_lin_vel_body, state.base_ang_vel_body, state.projected_gravity_body
    return {
        "lin_vel_tracking": tracking_reward(v[:2] - command[:2], TRACKING_SIGMA_MPS),
        "ang_vel_tracking": tracking_reward(w[2] - command[2], TRACKING_SIGMA_RADPS),
        "lin_vel_z": float(-(v[2] ** 2)),
        "ang_vel_xy": float(-(w[0] ** 2 + w[1] ** 2)),
        "orientation": float(-(g[0] ** 2 + g[1] ** 2)),
        "energy": -state.mechanical_power_w,
        "action_rate": float(-np.sum((np.asarray(action) - np.asarray(previous_action)) ** 2)),
        "alive": 1.0,
    }


@dataclass(frozen=True)
class VelocityTaskSettings:
    """Settings of the velocity (and gait) command tasks.

    Attributes:
        vx_range_mps, vy_range_mps, yaw_rate_range_radps: uniform sampling ranges of the command, (low, high).
        command_resample_s: a sampled command is redrawn after this many seconds, s.
        standing_probability: share of sampled commands that are (0, 0, 0) (stand still).
        heading_probability: share of sampled commands in heading mode: a heading (uniform in ±π rad) is drawn
            instead of a yaw rate, and the yaw-rate command is ``heading_gain`` × the heading error, clipped to
            ``yaw_rate_range_radps``.
        heading_gain: yaw-rate command per rad of heading error in heading mode, 1/s.
        reward_weights: overrides of the default reward weights, by term name (0 switches a term off).
    """

    vx_range_mps: tuple[float, float] = (-0.3, 0.8)
    vy_range_mps: tuple[float, float] = (-0.3, 0.3)
    yaw_rate_range_radps: tuple[float, float] = (-0.6, 0.6)
    command_resample_s: float = 5.0
    standing_probability: float = 0.0
    heading_probability: float = 0.0
    heading_gain: float = 1.0
    reward_weights: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, limit in zip(("vx_range_mps", "vy_range_mps", "yaw_rate_range_radps"), COMMAND_LIMITS):
            check_interval(self, name, -float(limit), float(limit))
        check_range(self, "command_resample_s", 0.0, 3600.0, low_inclusive=False)
        check_range(self, "standing_probability", 0.0, 1.0)
        check_range(self, "heading_probability", 0.0, 1.0)
        check_range(self, "heading_gain", 0.0, 20.0)
        frozen_weights(self)

    @property
    def command_low(self) -> np.ndarray:
        return np.array([self.vx_range_mps[0], self.vy_range_mps[0], self.yaw_rate_range_radps[0]])

    @property
    def command_high(self) -> np.ndarray:
        return np.array([self.vx_range_mps[1], self.vy_range_mps[1], self.yaw_rate_range_radps[1]])


def wrap_angle(angle_rad: float) -> float:
    """Angle wrapped to [-π, π), rad."""
    return float((angle_rad + np.pi) % (2 * np.pi) - np.pi)


class CommandGenerator:
    """The command of a velocity-type task over an episode (see the module docstring for the modes)."""

    RESET_OPTIONS = ("command", "heading_rad", "command_schedule")

    def __init__(self, settings: VelocityTaskSettings) -> None:
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
            from envs.config import is_number

            if not is_number(heading):
                raise ValueError(f"options['heading_rad'] must be a finite number (rad), got {heading!r}")
            self.heading_rad = wrap_angle(float(heading))
        self._change(rng, state)

    def update(self, rng: np.random.Generator, state: RobotState) -> None:
        if state.time_s + 1e-9 >= self._next_change_s:
            self._change(rng, state)
        elif self.heading_rad is not None:
            self.command[2] = self._heading_yaw_rate(state)

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
            self.command[2] = self._heading_yaw_rate(state)

    def _heading_yaw_rate(self, state: RobotState) -> float:
        lo, hi = self.settings.yaw_rate_range_radps
        return float(np.clip(self.settings.heading_gain * wrap_angle(self.heading_rad - state.yaw_rad), lo, hi))


def parse_schedule(value: Any) -> np.ndarray:
    """Rows of (start_s, vx, vy, yaw_rate), starting at 0 s with strictly increasing start times."""
    try:
        rows = np.asarray(value, dtype=float)
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


class VelocityTask(Task):
    """Track the commanded (vx, vy, yaw rate). Observation: ``command`` (3: m/s, m/s, rad/s). Rewards: the table
    above (tracking kernels plus regularisers)."""

    Settings = VelocityTaskSettings
    DEFAULT_REWARD_WEIGHTS = DEFAULT_VELOCITY_WEIGHTS
    RESET_OPTIONS = CommandGenerator.RESET_OPTIONS

    def __init__(self, settings: VelocityTaskSettings, robot, control_dt_s: float) -> None:
        super().__init__(settings, robot, control_dt_s)
        self.commands = CommandGenerator(settings)

    @property
    def command(self) -> np.ndarray:
        return self.commands.command

    @command.setter
    def command(self, value: np.ndarray) -> None:  # the base class initialises it; the generator owns it
        pass

    def observation_features(self) -> tuple[Feature, ...]:
        return (("command", 3, COMMAND_LIMITS),)

    def features(self, state: RobotState) -> np.ndarray:
        return self.command

    def reset(self, rng: np.random.Generator, options: Mapping[str, Any], state: RobotState) -> None:
        self.commands.reset(rng, options, state)

    def update(self, rng: np.random.Generator, state: RobotState) -> None:
        self.commands.update(rng, state)

    @classmethod
    def command_range(cls, settings: VelocityTaskSettings) -> tuple[np.ndarray, np.ndarray]:
        return settings.command_low, settings.command_high

    @classmethod
    def impose_command(cls, command: np.ndarray) -> tuple[dict[str, Any], dict[str, Any]]:
        return {}, {"command": tuple(float(c) for c in command)}

    def reward_terms(self, state: RobotState, action: np.ndarray, last_action: np.ndarray) -> dict[str, float]:
        return velocity_terms(state, self.command, action, last_action)

    def info(self) -> dict[str, Any]:
        info = super().info()
        if self.commands.heading_rad is not None:
            info["heading_command_rad"] = self.commands.heading_rad
        return info
