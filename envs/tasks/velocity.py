"""The velocity-command task (pure numpy): track a commanded body velocity (vx, vy, yaw rate) or a heading.

The task owns the command (:class:`CommandGenerator`): it is fixed for an episode with
``reset(options={"command": (vx, vy, yaw_rate)})``, optionally with ``"heading_rad"`` (then the yaw-rate entry
is computed every step from the heading error, as in legged_gym's heading mode), follows a piecewise-constant
``"command_schedule"`` (rows of ``(start_s, vx, vy, yaw_rate)``), or is drawn from the env's seeded generator
every ``command_resample_s`` seconds. The command in effect is in the observation (``command``: vx m/s, vy m/s,
yaw rate rad/s), in ``info["command"]`` and in the reward; when it changes at the end of a control step, that
step's reward, observation and info already use the new one.

Rewards follow the field's recipe (legged_gym, MuJoCo Playground): exponential tracking kernels that pay most of
the reward, small regularisers, and a foot air-time term that pays for steps, so that standing still while a
motion is commanded earns little (about a third of tracking's reward; the walk task's alive bonus made standing
worth 60% of walking):

=================  ===============================================  ========  ==================================
term               definition (per control step)                     weight    note
=================  ===============================================  ========  ==================================
lin_vel_tracking   exp(−‖v_xy − c_xy‖² / σ_v²), body frame            2.0       σ_v = 0.25 m/s
ang_vel_tracking   exp(−(ω_z − c_yaw)² / σ_w²)                        1.0       σ_w = 0.25 rad/s
lin_vel_z          −v_z²                                             1.0       no bouncing
ang_vel_xy         −(ω_x² + ω_y²)                                    0.05      no rocking
orientation        −(g_x² + g_y²)                                    1.0       stay level
energy             −Σ|τ·q̇|  (W)                                      0.0002
action_rate        −‖a_t − a_{t−1}‖²                                 0.01      smooth actions
feet_air_time      Σ_feet min(t_air, 0.25 s) at each touch-down (s)  2.0       only while ‖c‖ > 0.05; pays for
                                                                               stepping, capped so that long
                                                                               flights earn nothing more
alive              +1                                                0.25
gait_contact       fraction of feet whose contact equals the         0.5       gait task only
                   commanded gait's stance/swing (from its clock)
=================  ===============================================  ========  ==================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from envs.config import check_interval, check_range, frozen_weights
from envs.robots.description import RobotDescription
from envs.state import RobotState
from envs.tasks.commands import COMMAND_LIMITS, CommandGenerator
from envs.tasks.common import Feature, Task
from envs.tasks.rewards import (
    ALIVE,
    TRACKING_SIGMA_MPS,
    TRACKING_SIGMA_RADPS,
    action_rate_penalty,
    air_time_reward,
    power_penalty,
    tilt_penalty,
    tracking_reward,
)

DEFAULT_VELOCITY_WEIGHTS: Mapping[str, float] = MappingProxyType({
    "lin_vel_tracking": 2.0,
    "ang_vel_tracking": 1.0,
    "lin_vel_z": 1.0,
    "ang_vel_xy": 0.05,
    "orientation": 1.0,
    "energy": 0.0002,
    "action_rate": 0.01,
    "feet_air_time": 2.0,
    "alive": 0.25,
})
DEFAULT_GAIT_WEIGHTS: Mapping[str, float] = MappingProxyType({**DEFAULT_VELOCITY_WEIGHTS, "gait_contact": 0.5})


class FootAirTime:
    """Each foot's time off the ground; :meth:`update` returns the air time of the feet that just touched down."""

    def __init__(self, dt_s: float) -> None:
        self.dt_s = dt_s
        self.reset()

    def reset(self) -> None:
        self.air_time_s = np.zeros(4)
        self._was_in_contact = np.ones(4, dtype=bool)
        self.landed_air_time_s = np.zeros(4)

    def update(self, contacts: np.ndarray) -> np.ndarray:
        contacts = np.asarray(contacts, dtype=bool)
        touchdown = contacts & ~self._was_in_contact
        self.landed_air_time_s = np.where(touchdown, self.air_time_s, 0.0)
        self.air_time_s = np.where(contacts, 0.0, self.air_time_s + self.dt_s)
        self._was_in_contact = contacts
        return self.landed_air_time_s


def velocity_terms(state: RobotState, command: np.ndarray, action: np.ndarray,
                   previous_action: np.ndarray, landed_air_time_s: np.ndarray | None = None) -> dict[str, float]:
    """Unweighted velocity-task terms (see the module table)."""
    v, w = state.base_lin_vel_body, state.base_ang_vel_body
    return {
        "lin_vel_tracking": tracking_reward(v[:2] - command[:2], TRACKING_SIGMA_MPS),
        "ang_vel_tracking": tracking_reward(w[2] - command[2], TRACKING_SIGMA_RADPS),
        "lin_vel_z": float(-(v[2] ** 2)),
        "ang_vel_xy": float(-(w[0] ** 2 + w[1] ** 2)),
        "orientation": tilt_penalty(state.projected_gravity_body),
        "energy": power_penalty(state.mechanical_power_w),
        "action_rate": action_rate_penalty(action, previous_action),
        "feet_air_time": 0.0 if landed_air_time_s is None else air_time_reward(landed_air_time_s, command),
        "alive": ALIVE,
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
        for name, limit in zip(("vx_range_mps", "vy_range_mps", "yaw_rate_range_radps"), COMMAND_LIMITS, strict=True):
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


class VelocityTask(Task):
    """Track the commanded (vx, vy, yaw rate). Observation: ``command`` (3: m/s, m/s, rad/s). Rewards: the table
    above (tracking kernels plus regularisers)."""

    Settings = VelocityTaskSettings
    DEFAULT_REWARD_WEIGHTS = DEFAULT_VELOCITY_WEIGHTS
    RESET_OPTIONS = CommandGenerator.RESET_OPTIONS
    commands: CommandGenerator

    def __init__(self, settings: VelocityTaskSettings, robot: RobotDescription, control_dt_s: float) -> None:
        super().__init__(settings, robot, control_dt_s)
        self.air_time = FootAirTime(control_dt_s)

    def command_source(self, settings: VelocityTaskSettings) -> CommandGenerator:
        return CommandGenerator(settings)

    def observation_features(self) -> tuple[Feature, ...]:
        return (("command", 3, COMMAND_LIMITS),)

    def features(self, state: RobotState) -> np.ndarray:
        return self.command

    def reset(self, rng: np.random.Generator, options: Mapping[str, Any], state: RobotState) -> None:
        super().reset(rng, options, state)
        self.air_time.reset()

    def update(self, rng: np.random.Generator, state: RobotState) -> None:
        self.air_time.update(state.foot_contacts)
        super().update(rng, state)

    @classmethod
    def command_range(cls, settings: VelocityTaskSettings) -> tuple[np.ndarray, np.ndarray]:
        return settings.command_low, settings.command_high

    def reward_terms(self, state: RobotState, action: np.ndarray, last_action: np.ndarray) -> dict[str, float]:
        return velocity_terms(state, self.command, action, last_action, self.air_time.landed_air_time_s)

    def info(self) -> dict[str, Any]:
        info = super().info()
        if self.commands.heading_rad is not None:
            info["heading_command_rad"] = self.commands.heading_rad
        return info
