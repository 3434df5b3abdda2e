"""Command-following tasks (pure numpy): velocity tracking, and gait tracking with phase-based contact rewards.

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

from types import MappingProxyType
from typing import Mapping

import numpy as np

from envs.state import RobotState

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

#: Uniform sampling ranges of the velocity command: vx (m/s), vy (m/s), yaw rate (rad/s).
COMMAND_LOW = np.array([-0.3, -0.3, -0.6])
COMMAND_HIGH = np.array([0.8, 0.3, 0.6])


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


def sample_command(rng: np.random.Generator) -> np.ndarray:
    """A velocity command drawn uniformly from [COMMAND_LOW, COMMAND_HIGH]."""
    return rng.uniform(COMMAND_LOW, COMMAND_HIGH)
