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

from dataclasses import dataclass

import numpy as np

from envs.gaits.kinematics import inverse_kinematics
from envs.robots.description import GRAVITY_MPS2, RobotDescription
from envs.state import RobotState


def raibert_footholds(shoulders_xy: np.ndarray, time_to_touchdown_s: np.ndarray, stance_duration_s: float,
                      velocity_xy: np.ndarray, desired_velocity_xy: np.ndarray, desired_yaw_rate_radps: float,
                      com_xy: np.ndarray, com_height_m: float, gain: float, max_offset_m: float) -> np.ndarray:
    """Footholds (world xy, m, shape (n, 2)) for shoulders now at ``shoulders_xy`` ((n, 2), world, m).

    ``time_to_touchdown_s`` ((n,), s) moves each shoulder along the commanded velocity and yaw rate to where it
    will be at touch-down; each foot's Raibert offset from there is clipped to ``max_offset_m`` (norm).
    """
    v, v_des = np.asarray(velocity_xy, dtype=float), np.asarray(desired_velocity_xy, dtype=float)
    rel = shoulders_xy - com_xy
    spin = desired_yaw_rate_radps * np.column_stack([-rel[:, 1], rel[:, 0]])  # ω* × r, horizontal
    t = np.asarray(time_to_touchdown_s, dtype=float)[:, None]
    at_touchdown = shoulders_xy + (v_des + spin) * t
    offset = (v * (stance_duration_s / 2.0) + gain * np.sqrt(com_height_m / GRAVITY_MPS2) * (v - v_des)
              + spin * (stance_duration_s / 2.0))
    norm = np.sqrt(offset[:, 0] ** 2 + offset[:, 1] ** 2)
    return at_touchdown + offset * np.minimum(1.0, max_offset_m / np.maximum(norm, 1e-12))[:, None]


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


@dataclass(frozen=True)
class SwingSettings:
    """Swing-leg options of the model-based controller.

    Attributes:
        raibert_gain: capture-point gain k on the velocity error in the foothold (× √(h/g)).
        max_foothold_offset_fraction: cap on each foothold's offset from its shoulder, × leg length.
        kp_scale, kd_scale: joint PD gains as multiples of the robot's kp and kd. The PD runs at the control rate
            with the torque held in between; at 250 Hz the full kd made a light, straight leg chatter.
        touchdown_depth_m: swing targets end this far below the estimated ground, m.
        touchdown_speed_mps: downward foot speed the trajectory arrives with at the planned touch-down, m/s.
        seek_speed_mps: a planned-stance foot that has not touched down keeps reaching down at this speed, m/s.
        max_seek_depth_m: ... down to this far below its foothold, m.
    """

    raibert_gain: float = 1.0
    max_foothold_offset_fraction: float = 0.35
    kp_scale: float = 0.5
    kd_scale: float = 0.5
    touchdown_depth_m: float = 0.0
    touchdown_speed_mps: float = 0.3
    seek_speed_mps: float = 0.5
    max_seek_depth_m: float = 0.1


class SwingLegs:
    """Footholds, trajectories and joint PD for the legs not bearing load.

    Positions are world frame unless named ``*_hip`` (hip frame: body axes, origin at the hip joint).
    """

    def __init__(self, robot: RobotDescription, settings: SwingSettings, nominal_feet_hip: np.ndarray) -> None:
        self.robot, self.settings = robot, settings
        self._hips = robot.hip_positions
        self._shoulders = self._hips + np.column_stack([np.zeros(4), robot.hip_lateral_offsets_m, np.zeros(4)])
        self._nominal_feet_hip = np.asarray(nominal_feet_hip, dtype=float)
        self._kp = np.asarray(robot.kp).reshape(4, 3) * settings.kp_scale
        self._kd = np.asarray(robot.kd).reshape(4, 3) * settings.kd_scale
        self._qd_max = np.asarray(robot.velocity_limits).reshape(4, 3)
        self._max_offset_m = settings.max_foothold_offset_fraction * robot.leg_length_m
        self._damping_sq = (0.05 * robot.leg_length_m) ** 2
        self.reset(np.zeros((4, 3)))

    def reset(self, feet_world: np.ndarray) -> None:
        self.liftoff = np.array(feet_world, dtype=float)  # where each foot last left the ground
        self.footholds = np.array(feet_world, dtype=float)  # where each foot is going (the last one computed)

    def torques(self, *, running: bool, planned: np.ndarray, free: np.ndarray, phases: np.ndarray,
                swing_frac: np.ndarray, stance_s: float, swing_s: float, period_s: float, swing_height_m: float,
                rot: np.ndarray, origin: np.ndarray, state: RobotState, com: np.ndarray, com_height_m: float,
                v_des: np.ndarray, yaw_rate_des: float, plane: np.ndarray, feet_world: np.ndarray,
                jac: np.ndarray) -> np.ndarray:
        """Joint torques (4, 3), N·m, for every leg as if it were free (the caller keeps the ``free`` rows).

        Swinging legs (not ``planned``) follow the trajectory to their footholds; planned-stance legs that have not
        touched down reach down below theirs; before the gait starts (not ``running``) legs hold the standing
        pose. Joint PD on the inverse-kinematics angles, plus a joint-velocity feed-forward from the trajectory.

        Args:
            phases, swing_frac: (4,) leg phases (cycles) and swing fractions; stance_s, swing_s, period_s: the
                current stance, swing and stride durations, s; swing_height_m: the current swing height, m.
            rot: body → world rotation; origin: body-frame origin, world, m; com: centre of mass, world, m;
                com_height_m: its nominal height above the foot plane, m.
            v_des: commanded horizontal velocity, world, m/s; yaw_rate_des: commanded yaw rate, rad/s.
            plane: ground plane (a, b, c) of the foot centres; feet_world: (4, 3) foot positions, world, m;
            jac: (4, 3, 3) leg Jacobians (hip frame).
        """
        q, qd = state.joint_angles, state.joint_velocities
        vel, omega = state.base_lin_vel_world, state.base_ang_vel_world
        s = self.settings
        targets_hip = self._nominal_feet_hip.copy()
        vel_world = np.zeros((4, 3))
        if running:
            swinging = ~planned
            if swinging.any():
                shoulders = (origin + self._shoulders @ rot.T)[:, :2]
                xy = raibert_footholds(shoulders, (1.0 - swing_frac) * swing_s, stance_s, vel[:2], v_des,
                                       yaw_rate_des, com[:2], com_height_m, s.raibert_gain, self._max_offset_m)
                z = plane[0] + xy @ plane[1:] - s.touchdown_depth_m
                self.footholds[swinging, :2] = xy[swinging]
                self.footholds[swinging, 2] = z[swinging]
            pos, vel_world = swing_trajectory(swing_frac, swing_s, self.liftoff, self.footholds, swing_height_m,
                                              s.touchdown_speed_mps)
            seeking = planned & free
            if seeking.any():
                depth = np.minimum(s.seek_speed_mps * phases * period_s, s.max_seek_depth_m)  # late by phase·T
                pos[seeking] = self.footholds[seeking]
                pos[seeking, 2] -= depth[seeking]
                vel_world[seeking] = (0.0, 0.0, -s.seek_speed_mps)
            targets_hip = (pos - origin) @ rot - self._hips
        q_des = inverse_kinematics(self.robot, targets_hip).joint_angles.reshape(4, 3)
        # Desired foot velocity relative to the body, body axes → joint velocities by damped least squares (a leg
        # near full extension is singular and must not ask for huge joint speeds).
        r = feet_world - state.base_position_world
        spin = np.stack([omega[1] * r[:, 2] - omega[2] * r[:, 1], omega[2] * r[:, 0] - omega[0] * r[:, 2],
                         omega[0] * r[:, 1] - omega[1] * r[:, 0]], axis=1)
        v_rel = (vel_world - vel - spin) @ rot
        jt = np.transpose(jac, (0, 2, 1))
        qd_des = (jt @ np.linalg.solve(jac @ jt + self._damping_sq * np.eye(3), v_rel[:, :, None]))[:, :, 0]
        qd_des = np.minimum(np.maximum(qd_des, -self._qd_max), self._qd_max)
        return self._kp * (q_des - q.reshape(4, 3)) + self._kd * (qd_des - qd.reshape(4, 3))
