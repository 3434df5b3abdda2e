"""The walk-forward task: walk along +x at a constant target speed, upright and heading straight (pure numpy).

The command is ``(v*, 0, 0)`` for the whole episode, v* = ``target_speed_mps`` unless the episode is reset with
``options={"command": (v*, 0, 0)}`` (a policy sees v* as one observation entry). A sideways or turning command is
refused (ValueError): the task walks straight ahead and holds its initial heading (0 rad) through its reward, so
``options["heading_rad"]`` may only be 0. Termination: :func:`envs.tasks.common.failure_reason`.

Reward = Σ weight_name · term_name over the terms below, each computed from the robot state:

=============== ================================================= ==========================================
term            definition (per control step)                      why
=============== ================================================= ==========================================
tracking        exp(−(v_x − v*)² / σ²), v_x forward body speed      reach the target speed (max 1 at v_x = v*);
                σ = ``tracking_sigma_mps`` (0.25 m/s)
lateral_drift   −v_y²  (body lateral speed², m²/s²)                walk straight
yaw_drift       −(ω_z² + yaw²)  (yaw rate² + heading angle²)        keep heading along +x
orientation     −(g_x² + g_y²)  (projected gravity, body frame)    stay level
energy          −Σ|τ·q̇|  (W)                                       mechanical power spent
action_rate     −‖a_t − a_{t−1}‖²                                  smooth commands
alive           +1                                                 survive
=============== ================================================= ==========================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from envs.config import check_range, frozen_weights, is_number
from envs.state import RobotState
from envs.tasks.commands import HeldCommand, check_command
from envs.tasks.common import Feature, Task
from envs.tasks.rewards import (
    ALIVE,
    TRACKING_SIGMA_MPS,
    action_rate_penalty,
    power_penalty,
    tilt_penalty,
    tracking_reward,
)

REWARD_TERMS: tuple[str, ...] = ("tracking", "lateral_drift", "yaw_drift", "orientation", "energy",
                                 "action_rate", "alive")
DEFAULT_REWARD_WEIGHTS: Mapping[str, float] = MappingProxyType({
    "tracking": 1.0,
    "lateral_drift": 0.5,
    "yaw_drift": 0.5,
    "orientation": 1.0,
    "energy": 0.0002,
    "action_rate": 0.02,
    # The alive bonus must outweigh what an exploring policy pays in penalties (about 0.5-1.2 per step), or PPO
    # learns that ending the episode early pays (seen: episode length 52 -> 9 steps over 250k steps at alive=0.2).
    "alive": 1.0,
})


def reward_terms(state: RobotState, action: np.ndarray, previous_action: np.ndarray,
                 target_speed_mps: float, tracking_sigma_mps: float = TRACKING_SIGMA_MPS) -> dict[str, float]:
    """Unweighted reward terms (see the module table; σ = ``tracking_sigma_mps``)."""
    v = state.base_lin_vel_body
    return {
        "tracking": tracking_reward(v[0] - target_speed_mps, tracking_sigma_mps),
        "lateral_drift": float(-(v[1] ** 2)),
        "yaw_drift": float(-(state.base_ang_vel_body[2] ** 2 + state.base_rpy[2] ** 2)),
        "orientation": tilt_penalty(state.projected_gravity_body),
        "energy": power_penalty(state.mechanical_power_w),
        "action_rate": action_rate_penalty(action, previous_action),
        "alive": ALIVE,
    }




@dataclass(frozen=True)
class WalkTaskSettings:
    """Settings of the walk task.

    Attributes:
        target_speed_mps: commanded forward speed along the body's heading, m/s.
        tracking_sigma_mps: width of the speed-tracking reward kernel exp(−(v − v*)²/σ²), m/s. The default 0.25 m/s
            gives almost no gradient more than ~0.5 m/s from the target, so fast targets want a wider kernel.
        reward_weights: overrides of the default reward weights, by term name (0 switches a term off).
    """

    target_speed_mps: float = 0.5
    tracking_sigma_mps: float = TRACKING_SIGMA_MPS
    reward_weights: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_range(self, "target_speed_mps", -3.0, 3.0)
        check_range(self, "tracking_sigma_mps", 0.0, 5.0, low_inclusive=False)
        frozen_weights(self)


def straight_ahead_command(value: Any, what: str = "options['command']") -> np.ndarray:
    """A walk-task command: (v*, 0, 0) with |v*| <= 3 m/s, as a float array; ValueError otherwise."""
    command = check_command(value, what)
    if command[1] != 0.0 or command[2] != 0.0:
        raise ValueError(f"the walk task walks straight ahead: its command is (target speed, 0, 0), so {what}="
                         f"{command.tolist()} (sideways or turning) cannot be held; a velocity-command env "
                         "(e.g. quadgait/LaikagoVelocity-v1) takes any (vx, vy, yaw rate)")
    return command


class WalkTask(Task):
    """Walk straight ahead at the target speed; the observation carries it (1 entry, m/s)."""

    Settings = WalkTaskSettings
    DEFAULT_REWARD_WEIGHTS = DEFAULT_REWARD_WEIGHTS
    RESET_OPTIONS = ("command", "heading_rad")

    def command_source(self, settings: WalkTaskSettings) -> HeldCommand:
        return HeldCommand((settings.target_speed_mps, 0.0, 0.0), check=straight_ahead_command)

    def observation_features(self) -> tuple[Feature, ...]:
        return (("target_speed", 1, 5.0),)

    def features(self, state: RobotState) -> np.ndarray:
        return self.command[:1]

    def reset(self, rng: np.random.Generator, options: Mapping[str, Any], state: RobotState) -> None:
        # The heading is held through the yaw_drift reward, at 0 rad; the option is accepted to say just that.
        heading = options.get("heading_rad", 0.0)
        if not is_number(heading) or heading != 0.0:
            raise ValueError("the walk task holds its initial heading (0 rad) through its reward; "
                             f"options['heading_rad'] may only be 0, got {heading!r}")
        super().reset(rng, options, state)

    @classmethod
    def command_range(cls, settings: WalkTaskSettings) -> tuple[np.ndarray, np.ndarray]:
        command = np.array([settings.target_speed_mps, 0.0, 0.0])
        return command, command.copy()

    def reward_terms(self, state: RobotState, action: np.ndarray, last_action: np.ndarray) -> dict[str, float]:
        return reward_terms(state, action, last_action, float(self.command[0]), self.settings.tracking_sigma_mps)
