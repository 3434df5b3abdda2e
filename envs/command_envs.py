"""Envs that follow commands: ``quadgait/LaikagoVelocity-v0`` and ``quadgait/LaikagoGait-v0``.

Both use joint-target actions like ``LaikagoWalk-v0`` and replace its task (observation extras, reward terms).
Commands are resampled from the env's seeded generator, or fixed for an episode with
``reset(options={"command": (vx, vy, yaw_rate)})`` (and ``{"gait": "trot"}`` or a ``GaitSpec`` for the gait task).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from envs.gaits import GAIT_PRESETS, GaitSpec, get_gait, leg_phases, stance_mask
from envs.gaits.kinematics import forward_kinematics
from envs.gaits.spec import BODY_HEIGHT_RANGE_M, MAX_STRIDE_FREQUENCY_HZ
from envs.state import RobotState
from envs.tasks import velocity
from envs.tasks.walk import weighted_terms
from envs.walk_env import LaikagoWalkEnv


class VelocityEnv(LaikagoWalkEnv):
    """Track a commanded body velocity (vx, vy, yaw rate), resampled every ``COMMAND_RESAMPLE_S`` seconds.

    Observation: the walk observation (its ``target_speed`` entry holds the commanded vx) plus ``command``
    (vx, vy, yaw rate scaled to [-1, 1] by the sampling ranges). Reward terms: :mod:`envs.tasks.velocity`.
    """

    DEFAULT_REWARD_WEIGHTS = velocity.DEFAULT_VELOCITY_WEIGHTS
    COMMAND_RESAMPLE_S = 5.0
    RESET_OPTIONS = ("command",)

    def _observation_extras(self) -> tuple[tuple[str, int], ...]:
        return (("command", 3),)

    def _extra_features(self) -> np.ndarray:
        scale = np.maximum(np.abs(velocity.COMMAND_LOW), np.abs(velocity.COMMAND_HIGH))
        return np.clip(self.command / scale, -1.0, 1.0)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        options = dict(options or {})
        self._fixed_command = None
        if "command" in options:
            cmd = np.asarray(options["command"], dtype=float)
            if cmd.shape != (3,) or not np.all(np.isfinite(cmd)):
                raise ValueError(f"options['command'] must be 3 finite numbers (vx, vy, yaw rate), got {cmd}")
            self._fixed_command = cmd
        # The command must exist before the first observation is built.
        self.command = np.zeros(3) if self._fixed_command is None else self._fixed_command.copy()
        obs, info = super().reset(seed=seed, options=options)
        self._resample_command()
        self._last_obs = self._observe(self.robot_state)
        info["command"] = self.command.copy()
        return self._last_obs.copy(), info

    def _resample_command(self) -> None:
        self.command = (self._fixed_command.copy() if self._fixed_command is not None
                        else velocity.sample_command(self.np_random))
        self._next_resample_s = self.sim.time_s + self.COMMAND_RESAMPLE_S

    def step(self, action):
        result = super().step(action)
        if self.sim.time_s + 1e-9 >= self._next_resample_s:
            self._resample_command()
        result[-1]["command"] = self.command.copy()
        return result

    def _observed_target_speed(self) -> float:
        return float(self.command[0])

    def _reward(self, state: RobotState, action: np.ndarray) -> dict[str, float]:
        terms = velocity.velocity_terms(state, self.command, action, self._last_action)
        return weighted_terms(terms, self.reward_weights)


class GaitEnv(VelocityEnv):
    """Track a velocity command *and* a commanded gait, so one policy can produce several gaits on demand.

    The gait command (stride frequency, duty factor, phase offsets, swing height, body height) is a preset drawn
    per episode from ``GAIT_CHOICES`` (or given with ``reset(options={"gait": ...})``); a gait clock runs at the
    commanded frequency. Observation extras: the velocity command, the gait parameters (scaled to [-1, 1]) and
    sin/cos of each leg's clock phase. Reward: the velocity terms plus ``gait_contact``, the fraction of feet whose
    measured contact matches the clock's stance/swing.
    """

    DEFAULT_REWARD_WEIGHTS = velocity.DEFAULT_GAIT_WEIGHTS
    GAIT_CHOICES = ("trot", "pace", "bound", "walk")
    RESET_OPTIONS = ("command", "gait")

    def __init__(self, render_mode: str | None = None, **settings: Any) -> None:
        super().__init__(render_mode, **settings)
        # A gait without a body height means "the robot's standing height" (hip above ground, m).
        self._standing_hip_height_m = float(-forward_kinematics(self.robot, self._standing)[:, 2].mean())

    def _observation_extras(self) -> tuple[tuple[str, int], ...]:
        return (("command", 3), ("gait_parameters", 7), ("leg_phase_sin", 4), ("leg_phase_cos", 4))

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        options = dict(options or {})
        gait = options.get("gait")
        self._fixed_gait = None if gait is None else (gait if isinstance(gait, GaitSpec) else get_gait(gait))
        self.gait = self._fixed_gait or GAIT_PRESETS["trot"]
        self._gait_phase = 0.0
        obs, info = super().reset(seed=seed, options=options)
        if self._fixed_gait is None:
            self.gait = GAIT_PRESETS[self.GAIT_CHOICES[int(self.np_random.integers(len(self.GAIT_CHOICES)))]]
            self._last_obs = self._observe(self.robot_state)
            obs = self._last_obs.copy()
        info["gait"] = self.gait.name
        return obs, info

    def leg_phases(self) -> np.ndarray:
        """The gait clock's leg phases (cycles, (4,)); stance while phase < duty factor."""
        return leg_phases(0.0, self.gait, phase0=self._gait_phase)

    def desired_stance(self) -> np.ndarray:
        return stance_mask(self.leg_phases(), self.gait.duty_factor)

    def _extra_features(self) -> np.ndarray:
        g = self.gait
        height = g.body_height_m if g.body_height_m is not None else self._standing_hip_height_m
        lo, hi = BODY_HEIGHT_RANGE_M
        params = np.array([2 * g.stride_frequency_hz / MAX_STRIDE_FREQUENCY_HZ - 1, 2 * g.duty_factor - 1,
                           *(2 * np.array(g.phase_offsets[1:]) - 1), 8 * g.swing_height_m - 1,
                           2 * (height - lo) / (hi - lo) - 1])
        angle = 2 * np.pi * self.leg_phases()
        return np.concatenate([super()._extra_features(), np.clip(params, -1, 1), np.sin(angle), np.cos(angle)])

    def _apply_action(self, a: np.ndarray) -> None:
        super()._apply_action(a)
        self._gait_phase = (self._gait_phase + self.gait.stride_frequency_hz * self.control_dt_s) % 1.0

    def _reward(self, state: RobotState, action: np.ndarray) -> dict[str, float]:
        terms = velocity.velocity_terms(state, self.command, action, self._last_action)
        terms["gait_contact"] = velocity.gait_contact_reward(self.desired_stance(), state.foot_contacts)
        return weighted_terms(terms, self.reward_weights)
