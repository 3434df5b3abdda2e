"""Swing legs of the model-based controller: where to put the foot, and how to get it there (pure numpy).

Foothold (Raibert 1986, with the capture-point gain of Pratt et al. 2006): a foot lands ahead of where its shoulder
will be at touch-down by half the distance the body travels during the next stance, plus a correction for the
velocity error::

    p_foothold = p_shoulder(t_td) + v·T_stance/2 + k·√(h/g)·(v − v*) + (ω* × r_shoulder)·T_stance/2

with v the measured and v* the commanded horizontal velocity, h the centre-of-mass height, ω* the commanded yaw
rate and r_shoulder the shoulder's position relative to the centre of mass. All in the world frame, horizontal.

Trajectory: from the lift-off point to the foothold with a minimum-jerk blend, plus a lift of ``swing_height``
(:func:`swing_lift`: quick to leave the ground, late and brisk to land; s = swing fraction), and its time
derivative for the joint-velocity feed-forward.
"""

from __future__ import annotations

import numpy as np

GRAVITY_MPS2 = 9.81


def raibert_footholds(shoulders_xy: np.ndarray, time_to_touchdown_s: np.ndarray, stance_duration_s: float,
                      velocity_xy: np.ndarray, desired_velocity_xy: np.ndarray, desired_yaw_rate_radps: float,
                      com_xy: np.ndarray, com_height_m: float, gain: float, max_offset_m: float) -> np.ndarray:
    """Footholds (world xy, m, shape (n, 2)) for shoulders now at ``shoulders_xy`` ((n, 2), world, m).

    ``time_to_touchdown_s`` ((n,), s) moves each shoulder along the commanded velocity and yaw rate to where it
    will be at touch-down; the Raibert offset from there is clipped to ``max_offset_m`` (norm).
    """
    v, v_des = np.asarray(velocity_xy, dtype=float), np.asarray(desired_velocity_xy, dtype=float)
    rel = shoulders_xy - com_xy
    spin = desired_yaw_rate_radps * np.column_stack([-rel[:, 1], rel[:, 0]])  # ω* × r, horizontal
    t = np.asarray(time_to_touchdown_s, dtype=float)[:, None]
    at_touchdown = shoulders_xy + (v_des + spin) * t
    offset = (v * (stance_duration_s / 2.0) + gain * np.sqrt(com_height_m / GRAVITY_MPS2) * (v - v_des)
              + spin * (stance_duration_s / 2.0))
    norm = np.linalg.norm(offset)
    if norm > max_offset_m:
        offset = offset * (max_offset_m / norm)
    return at_touchdown + offset


def swing_lift(s: np.ndarray, swing_duration_s: float, height_m: float,
               touchdown_speed_mps: float) -> tuple[np.ndarray, np.ndarray]:
    """Foot lift above the lift-off-to-foothold line (m) and its rate (m/s) at swing fractions ``s`` in [0, 1].

    The first half rises as ``height·sin(πs)``, so the foot leaves the ground at once rather than after a slow
    start that lets it drag. The second half is a cubic Hermite from ``height`` (at rest) down to 0 at s = 1, where
    it arrives moving down at ``touchdown_speed_mps``: the foot stays high until late and lands on time, instead of
    skimming the ground for the last part of the swing.
    """
    rising = s < 0.5
    u = np.clip(2.0 * s - 1.0, 0.0, 1.0)
    slope_end = -touchdown_speed_mps * swing_duration_s / 2.0  # d(lift)/du at u = 1
    fall = height_m * (2 * u**3 - 3 * u**2 + 1) + slope_end * (u**3 - u**2)
    fall_rate = (height_m * (6 * u**2 - 6 * u) + slope_end * (3 * u**2 - 2 * u)) * 2.0 / swing_duration_s
    value = np.where(rising, height_m * np.sin(np.pi * s), fall)
    rate = np.where(rising, height_m * np.pi * np.cos(np.pi * s) / swing_duration_s, fall_rate)
    return value, rate


def swing_trajectory(s: np.ndarray, swing_duration_s: float, start: np.ndarray, end: np.ndarray,
                     height_m: float, touchdown_speed_mps: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Foot position (m) and velocity (m/s) at swing fractions ``s`` ((n,), in [0, 1]); ``start``/``end`` (n, 3).

    A minimum-jerk blend from ``start`` to ``end`` plus the lift of :func:`swing_lift` on top.
    """
    s = np.clip(np.asarray(s, dtype=float), 0.0, 1.0)[:, None]
    blend = s * s * s * (10.0 + s * (-15.0 + 6.0 * s))
    blend_rate = 30.0 * s * s * (1.0 - s) ** 2 / swing_duration_s
    delta = end - start
    position = start + delta * blend
    velocity = delta * blend_rate
    lift, lift_rate = swing_lift(s, swing_duration_s, height_m, touchdown_speed_mps)
    position[:, 2:] += lift
    velocity[:, 2:] += lift_rate
    return position, velocity
