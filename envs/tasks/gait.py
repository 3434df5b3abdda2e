"""The gait-command task: track a velocity command *and* a commanded gait, so one policy can make several gaits.

The gait command (stride frequency, duty factor, phase offsets, swing height, body height) is a preset drawn per
episode from ``GAIT_CHOICES`` (or given with ``reset(options={"gait": "pace"})`` or a :class:`GaitSpec`); a gait
clock runs at the commanded frequency. Observation: the velocity command, the gait parameters (scaled to
[-1, 1]) and sin/cos of each leg's clock phase. Reward: the velocity terms plus ``gait_contact``, the fraction of
feet whose measured contact matches the clock's stance/swing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from envs.gaits import GAIT_PRESETS, GaitSpec, get_gait, leg_phases, stance_mask
from envs.gaits.kinematics import standing_hip_to_foot_m
from envs.gaits.spec import BODY_HEIGHT_RANGE_M, MAX_STRIDE_FREQUENCY_HZ
from envs.state import RobotState
from envs.tasks.commands import COMMAND_LIMITS, CommandGenerator
from envs.tasks.common import Feature, Task
from envs.tasks.rewards import gait_contact_reward
from envs.tasks.velocity import DEFAULT_GAIT_WEIGHTS, FootAirTime, VelocityTask, VelocityTaskSettings, velocity_terms


class GaitTask(Task):
    """Velocity tracking plus a commanded gait (see the module docstring)."""

    Settings = VelocityTaskSettings
    DEFAULT_REWARD_WEIGHTS = DEFAULT_GAIT_WEIGHTS
    RESET_OPTIONS = (*CommandGenerator.RESET_OPTIONS, "gait")
    GAIT_CHOICES = ("trot", "pace", "bound", "walk")
    commands: CommandGenerator

    def __init__(self, settings: VelocityTaskSettings, robot, control_dt_s: float) -> None:
        super().__init__(settings, robot, control_dt_s)
        self.air_time = FootAirTime(control_dt_s)
        self.gait: GaitSpec = GAIT_PRESETS["trot"]
        self._clock = 0.0
        # A gait without a body height means the robot's standing height (hips above the foot centres, m).
        self._standing_height_m = standing_hip_to_foot_m(robot)

    def command_source(self, settings: VelocityTaskSettings) -> CommandGenerator:
        return CommandGenerator(settings)  # the velocity task's commands

    @classmethod
    def command_range(cls, settings: VelocityTaskSettings) -> tuple[np.ndarray, np.ndarray]:
        return VelocityTask.command_range(settings)

    def observation_features(self) -> tuple[Feature, ...]:
        return (("command", 3, COMMAND_LIMITS), ("gait_parameters", 7, 1.0), ("leg_phase_sin", 4, 1.0),
                ("leg_phase_cos", 4, 1.0))

    def reset(self, rng: np.random.Generator, options: Mapping[str, Any], state: RobotState) -> None:
        gait = options.get("gait")
        fixed = None if gait is None else (gait if isinstance(gait, GaitSpec) else get_gait(gait))
        self._clock = 0.0
        self.air_time.reset()
        super().reset(rng, options, state)
        self.gait = fixed or GAIT_PRESETS[self.GAIT_CHOICES[int(rng.integers(len(self.GAIT_CHOICES)))]]

    def update(self, rng: np.random.Generator, state: RobotState) -> None:
        self._clock = (self._clock + self.gait.stride_frequency_hz * self.control_dt_s) % 1.0
        self.air_time.update(state.foot_contacts)
        super().update(rng, state)

    def leg_phases(self) -> np.ndarray:
        """The gait clock's leg phases (cycles, (4,)); stance while phase < duty factor."""
        return leg_phases(0.0, self.gait, phase0=self._clock)

    def desired_stance(self) -> np.ndarray:
        return stance_mask(self.leg_phases(), self.gait.duty_factor)

    def features(self, state: RobotState) -> np.ndarray:
        g = self.gait
        height = g.body_height_m if g.body_height_m is not None else self._standing_height_m
        lo, hi = BODY_HEIGHT_RANGE_M
        params = np.array([2 * g.stride_frequency_hz / MAX_STRIDE_FREQUENCY_HZ - 1, 2 * g.duty_factor - 1,
                           *(2 * np.array(g.phase_offsets[1:]) - 1), 8 * g.swing_height_m - 1,
                           2 * (height - lo) / (hi - lo) - 1])
        angle = 2 * np.pi * self.leg_phases()
        return np.concatenate([self.command, np.clip(params, -1, 1), np.sin(angle), np.cos(angle)])

    def reward_terms(self, state: RobotState, action: np.ndarray, last_action: np.ndarray) -> dict[str, float]:
        terms = velocity_terms(state, self.command, action, last_action, self.air_time.landed_air_time_s)
        terms["gait_contact"] = gait_contact_reward(self.desired_stance(), state.foot_contacts)
        return terms

    def info(self) -> dict[str, Any]:
        return {**super().info(), "gait": self.gait.name}
