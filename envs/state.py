"""The robot's state at one instant, as named physical quantities (no PyBullet import)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# np.add.reduce is what ndarray.sum calls, without the Python-level dispatch (these run every control step).
_sum = np.add.reduce


@dataclass(frozen=True)
class RobotState:
    """Snapshot of the robot, read once per control step. Arrays are fresh copies.

    Frames: *world* is z-up, gravity along -z; *body* is the base link frame (x forward, y left, z up).
    Joint quantities use controller angles (see ``envs.robots.description``), legs ordered FR, FL, RR, RL.

    Attributes:
        time_s: simulated time since reset, s.
        base_position_world: (3,) m.
        base_quaternion_world: (4,) orientation quaternion (x, y, z, w).
        base_rpy: (3,) roll, pitch, yaw, rad.
        projected_gravity_body: (3,) unit gravity direction in the body frame ((0, 0, -1) when level).
        base_lin_vel_world, base_lin_vel_body: (3,) m/s.
        base_ang_vel_world, base_ang_vel_body: (3,) rad/s.
        joint_angles: (12,) rad. joint_velocities: (12,) rad/s.
        joint_torques: (12,) N·m, the torques applied during the last physics substep.
        foot_contacts: (4,) bool, foot touching the ground.
        foot_normal_forces: (4,) N, summed normal force on each foot.
        foot_positions_world: (4, 3) m, foot sphere centres.
        body_ground_contact: True when the base or a link listed in ``RobotDescription.body_contact_links``
            touches the ground.
    """

    time_s: float
    base_position_world: np.ndarray
    base_quaternion_world: np.ndarray
    base_rpy: np.ndarray
    projected_gravity_body: np.ndarray
    base_lin_vel_world: np.ndarray
    base_lin_vel_body: np.ndarray
    base_ang_vel_world: np.ndarray
    base_ang_vel_body: np.ndarray
    joint_angles: np.ndarray
    joint_velocities: np.ndarray
    joint_torques: np.ndarray
    foot_contacts: np.ndarray
    foot_normal_forces: np.ndarray
    foot_positions_world: np.ndarray
    body_ground_contact: bool

    @property
    def base_height_m(self) -> float:
        return float(self.base_position_world[2])

    @property
    def upright(self) -> float:
        """Cosine of the angle between body z and world z (1 = level, 0 = on its side, -1 = upside down)."""
        return float(-self.projected_gravity_body[2])

    @property
    def yaw_rad(self) -> float:
        return float(self.base_rpy[2])

    @property
    def mechanical_power_w(self) -> float:
        """Σ|τ·q̇| over the joints, W."""
        return float(_sum(np.abs(self.joint_torques * self.joint_velocities)))

    def is_finite(self) -> bool:
        # One reduction over everything: this runs every control step.
        total = (_sum(self.base_position_world) + _sum(self.base_quaternion_world) + _sum(self.base_lin_vel_world)
                 + _sum(self.base_ang_vel_world) + _sum(self.joint_angles) + _sum(self.joint_velocities)
                 + _sum(self.foot_positions_world, axis=None))
        return bool(np.isfinite(total))
