"""Reward shapes the tasks share, as pure functions of plain arrays (no PyBullet, no task state).

Each returns one unweighted term (a Python float); a task names its terms and weights them
(:func:`envs.tasks.common.weighted_terms`). Penalties are negative, so every weight is positive. The tables in
:mod:`envs.tasks.walk` and :mod:`envs.tasks.velocity` say which task uses which.
"""

from __future__ import annotations

import numpy as np

from envs.numerics import dot, norm

#: Default width of the speed-tracking kernel, m/s (the walk task's ``tracking_sigma_mps`` overrides it).
TRACKING_SIGMA_MPS = 0.25
#: Width of the yaw-rate tracking kernel, rad/s.
TRACKING_SIGMA_RADPS = 0.25
#: Air time credited per step, at most (s), and the command norm below which steps earn nothing.
AIR_TIME_CAP_S = 0.25
MOVING_COMMAND = 0.05
#: The alive bonus, per control step.
ALIVE = 1.0


def tracking_reward(error: float | np.ndarray, sigma: float) -> float:
    """exp(−error² / sigma²): 1 at zero error, falling smoothly with |error| (error may be a vector: its norm)."""
    err = np.asarray(error, dtype=float)
    squared = dot(err, err) if err.ndim else float(err * err)
    return float(np.exp(-squared / sigma**2))


def tilt_penalty(projected_gravity_body: np.ndarray) -> float:
    """−(g_x² + g_y²) of gravity's unit vector in the body frame: 0 when level, −1 on the side."""
    g = projected_gravity_body
    return float(-(g[0] ** 2 + g[1] ** 2))


def power_penalty(mechanical_power_w: float) -> float:
    """−Σ|τ·q̇|, the mechanical power the motors spend (W; :attr:`envs.state.RobotState.mechanical_power_w`)."""
    return -mechanical_power_w


def action_rate_penalty(action: np.ndarray, previous_action: np.ndarray) -> float:
    """−‖a_t − a_{t−1}‖²: smooth actions."""
    return float(-np.sum((np.asarray(action) - np.asarray(previous_action)) ** 2))


def gait_contact_reward(desired_stance: np.ndarray, contacts: np.ndarray) -> float:
    """Fraction of the four feet whose measured contact equals the commanded stance (1 = all match)."""
    return float(np.mean(np.asarray(desired_stance, bool) == np.asarray(contacts, bool)))


def air_time_reward(landed_air_time_s: np.ndarray, command: np.ndarray) -> float:
    """Σ min(t_air, AIR_TIME_CAP_S) over the feet that touched down this step (s); 0 while ‖command‖ is at most
    :data:`MOVING_COMMAND`."""
    if norm(command) <= MOVING_COMMAND:
        return 0.0
    return float(np.minimum(landed_air_time_s, AIR_TIME_CAP_S).sum())
