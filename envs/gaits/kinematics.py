"""Analytic leg kinematics for 12-joint quadrupeds (pure numpy; no PyBullet).

Each leg is an abduction joint about the body x axis followed by two parallel pitch joints (thigh, calf) about
the rotated y axis. Angles are controller angles (see ``envs.robots.description``). Positions are foot (toe
sphere centre) positions in the leg's *hip frame*: body-frame axes, origin at the hip (abduction) joint, in m.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from envs.robots.description import NUM_LEGS, RobotDescription

# Targets are kept this far inside the reachable annulus so the knee never locks straight (a singularity).
_REACH_MARGIN = 0.995


@dataclass(frozen=True)
class IKResult:
    """Joint angles for foot targets.

    Attributes:
        joint_angles: controller angles, rad, shape (12,).
        clamped: per leg, True where the target was outside the workspace and was moved onto its boundary (4,).
    """

    joint_angles: np.ndarray
    clamped: np.ndarray


def _leg_array(robot: RobotDescription) -> tuple[np.ndarray, float, float]:
    return np.array(robot.hip_lateral_offsets_m), robot.thigh_length_m, robot.calf_length_m


def forward_kinematics(robot: RobotDescription, joint_angles: np.ndarray) -> np.ndarray:
    """Foot positions in each hip frame, m, shape (4, 3), for controller joint angles (12,)."""
    q = np.asarray(joint_angles, dtype=float).reshape(NUM_LEGS, 3)
    lateral, l1, l2 = _leg_array(robot)
    q0, q1, q2 = q[:, 0], q[:, 1], q[:, 2]
    x = -l1 * np.sin(q1) - l2 * np.sin(q1 + q2)
    z_plane = -l1 * np.cos(q1) - l2 * np.cos(q1 + q2)
    y = lateral * np.cos(q0) - z_plane * np.sin(q0)
    z = lateral * np.sin(q0) + z_plane * np.cos(q0)
    return np.stack([x, y, z], axis=1)


def foot_positions_body(robot: RobotDescription, joint_angles: np.ndarray) -> np.ndarray:
    """Foot positions in the body frame, m, shape (4, 3)."""
    return forward_kinematics(robot, joint_angles) + robot.hip_positions


def inverse_kinematics(robot: RobotDescription, feet_hip_frame: np.ndarray) -> IKResult:
    """Controller joint angles placing each foot at ``feet_hip_frame`` ((4, 3), m, hip frames).

    Knees bend backward (calf angle < 0). Unreachable targets are moved to the nearest reachable point along the
    way the leg points and flagged in ``IKResult.clamped``; the result is always finite.

    Raises:
        ValueError: wrong shape or non-finite targets.
    """
    p = np.asarray(feet_hip_frame, dtype=float)
    if p.shape != (NUM_LEGS, 3):
        raise ValueError(f"foot targets must have shape (4, 3), got {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError("foot targets must be finite")
    lateral, l1, l2 = _leg_array(robot)
    px, py, pz = p[:, 0], p[:, 1], p[:, 2]
    clamped = np.zeros(NUM_LEGS, dtype=bool)

    # Abduction: the (y, z) target is the leg-plane point (lateral, z_plane) rotated by q0.
    r_yz_sq = py**2 + pz**2
    min_r_yz_sq = lateral**2 + 1e-6
    too_close = r_yz_sq < min_r_yz_sq
    clamped |= too_close
    r_yz_sq = np.maximum(r_yz_sq, min_r_yz_sq)
    z_plane = -np.sqrt(r_yz_sq - lateral**2)
    q0 = np.arctan2(pz, py) - np.arctan2(z_plane, lateral)
    q0 = (q0 + np.pi) % (2 * np.pi) - np.pi

    # Two-link planar leg in the (x, z_plane) plane.
    reach = np.hypot(px, z_plane)
    max_reach = (l1 + l2) * _REACH_MARGIN
    min_reach = max(abs(l1 - l2), 0.05 * (l1 + l2)) / _REACH_MARGIN
    out = (reach > max_reach) | (reach < min_reach)
    clamped |= out
    scale = np.clip(reach, min_reach, max_reach) / np.maximum(reach, 1e-9)
    px_c, z_c = px * scale, z_plane * scale
    # A target at the hip itself has no direction: point the leg straight down.
    degenerate = reach < 1e-9
    px_c = np.where(degenerate, 0.0, px_c)
    z_c = np.where(degenerate, -min_reach, z_c)
    d_sq = px_c**2 + z_c**2
    cos_knee = np.clip((d_sq - l1**2 - l2**2) / (2 * l1 * l2), -1.0, 1.0)
    q2 = -np.arccos(cos_knee)
    phi = np.arctan2(-px_c, -z_c)  # direction of the foot from straight down, positive backward
    q1 = phi - np.arctan2(l2 * np.sin(q2), l1 + l2 * np.cos(q2))
    angles = np.stack([q0, q1, q2], axis=1).reshape(-1)
    return IKResult(joint_angles=angles, clamped=clamped)


def standing_hip_to_foot_m(robot: RobotDescription) -> float:
    """Vertical distance from the hips down to the foot centres in the standing pose, m: what a gait's
    ``body_height_m`` measures (its foot targets lie that far below the hips), and its default."""
    return float(-forward_kinematics(robot, robot.standing_angles)[:, 2].mean())


def standing_hip_height_m(robot: RobotDescription) -> float:
    """Hip height above flat ground in the standing pose if the legs were rigid, m: :func:`standing_hip_to_foot_m`
    plus the foot radius; the length scale of the Froude number."""
    return standing_hip_to_foot_m(robot) + robot.foot_radius_m


def standing_base_height_m(robot: RobotDescription) -> float:
    """Base height above flat ground in the standing pose if the legs were rigid, m (feet resting on the ground)."""
    feet = foot_positions_body(robot, robot.standing_angles)
    return float(-feet[:, 2].mean() + robot.foot_radius_m)


def leg_jacobian(robot: RobotDescription, joint_angles: np.ndarray) -> np.ndarray:
    """Foot Jacobians ``d(foot position, hip frame) / d(controller joint angles)``, m/rad, shape (4, 3, 3).

    ``jac[leg]`` maps the leg's (hip, thigh, calf) joint velocities (rad/s) to the foot's velocity relative to the
    body, in body-frame axes (m/s); its transpose maps a force on the foot (N, body axes) to joint torques (N·m):
    ``τ = J^T f``. It is the analytic derivative of :func:`forward_kinematics` (tested against finite differences).
    """
    q = np.asarray(joint_angles, dtype=float).reshape(NUM_LEGS, 3)
    lateral, l1, l2 = _leg_array(robot)
    q0, q1, q12 = q[:, 0], q[:, 1], q[:, 1] + q[:, 2]
    s0, c0 = np.sin(q0), np.cos(q0)
    s1, c1, s12, c12 = np.sin(q1), np.cos(q1), np.sin(q12), np.cos(q12)
    z_plane = -l1 * c1 - l2 * c12
    # Derivatives of the in-plane coordinates (x, z_plane) with respect to thigh and calf.
    dx_dq1, dx_dq2 = -l1 * c1 - l2 * c12, -l2 * c12
    dzp_dq1, dzp_dq2 = l1 * s1 + l2 * s12, l2 * s12
    jac = np.zeros((NUM_LEGS, 3, 3))
    jac[:, 0, 1], jac[:, 0, 2] = dx_dq1, dx_dq2
    jac[:, 1, 0] = -lateral * s0 - z_plane * c0
    jac[:, 1, 1], jac[:, 1, 2] = -s0 * dzp_dq1, -s0 * dzp_dq2
    jac[:, 2, 0] = lateral * c0 - z_plane * s0
    jac[:, 2, 1], jac[:, 2, 2] = c0 * dzp_dq1, c0 * dzp_dq2
    return jac
