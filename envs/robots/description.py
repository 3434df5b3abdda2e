"""Robot descriptions: everything quadgait knows about a robot, as immutable data.

A :class:`RobotDescription` is the single source of truth for a quadruped: the URDF to load, joint and foot
names, the sign/offset convention between *controller* joint angles and *URDF* joint angles, the standing pose,
limits, PD gains and the leg geometry used by the analytic kinematics. Observation and action sizes, layouts,
kinematics and gaits are all computed from it. This module does not import PyBullet.

Conventions (shared by every robot):

* Legs are ordered ``FR, FL, RR, RL``; joints per leg are ``hip`` (abduction, about the body x axis),
  ``thigh`` and ``calf`` (both about the body y axis). Joint arrays have shape ``(12,)`` in the order
  ``FR_hip, FR_thigh, FR_calf, FL_hip, ...``.
* Controller angles, in rad: ``hip`` is the rotation of the leg about the body +x axis (right-hand rule);
  ``thigh`` is the angle of the thigh from straight down, positive swinging the foot backward (rotation about
  body +y); ``calf`` is the angle of the shank relative to the thigh, ``0`` for a straight leg and negative for a
  bent knee (the Laikago's knees point backward).
* ``urdf_angle = joint_directions * controller_angle + joint_offsets`` (elementwise).
* Body frame: x forward, y left, z up, origin at the base link frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Leg order of every array with one entry per leg (contacts, feet, phase offsets), index 0..3.
LEG_NAMES: tuple[str, str, str, str] = ("FR", "FL", "RR", "RL")
JOINTS_PER_LEG: tuple[str, str, str] = ("hip", "thigh", "calf")
NUM_LEGS = 4
NUM_JOINTS = 12

#: Controller joint names in the canonical order, e.g. ``"FR_hip"``.
JOINT_LABELS: tuple[str, ...] = tuple(f"{leg}_{j}" for leg in LEG_NAMES for j in JOINTS_PER_LEG)
#: Standard gravity of the world every robot is described for, m/s² (the simulation applies it along −z, as a
#: MuJoCo model carries its own gravity); the gaits' force plans and the metrics use the same number.
GRAVITY_MPS2 = 9.81


def hip_layout(x_front_m: float, x_rear_m: float, half_width_m: float,
               z_m: float = 0.0) -> tuple[tuple[float, float, float], ...]:
    """Hip joint positions (body frame, m) of a left-right symmetric robot, legs ordered FR, FL, RR, RL.

    ``x_rear_m`` is the rear hips' x (negative behind the base origin).
    """
    return ((x_front_m, -half_width_m, z_m), (x_front_m, half_width_m, z_m),
            (x_rear_m, -half_width_m, z_m), (x_rear_m, half_width_m, z_m))


def _vec(values, size: int, name: str) -> tuple[float, ...]:
    arr = np.asarray(values, dtype=float).reshape(-1)
    if arr.size == 1:
        arr = np.full(size, float(arr[0]))
    if arr.shape != (size,) or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be {size} finite numbers, got {values!r}")
    return tuple(float(v) for v in arr)


@dataclass(frozen=True)
class RobotDescription:
    """Immutable description of a 12-joint quadruped.

    Attributes:
        name: registry name, e.g. ``"laikago_fast"``.
        urdf: URDF path. ``package://pybullet_data/...`` paths are resolved against the installed pybullet_data;
            a relative path is taken relative to the project's ``urdf/`` folder.
        urdf_joint_names: the 12 actuated URDF joint names in canonical order.
        foot_link_names: the 4 foot (toe) link names, FR, FL, RR, RL.
        joint_directions, joint_offsets: ``urdf = direction * controller + offset`` per joint (rad).
        standing_pose: controller joint angles of the nominal stance, rad, shape (12,).
        joint_lower, joint_upper: controller-angle limits in rad; position targets are clipped to them.
        torque_limits: |τ| limit per joint, N·m. velocity_limits: |q̇| limit per joint, rad/s.
        kp, kd: PD gains per joint, N·m/rad and N·m·s/rad.
        spawn_height_m: base height at reset, m (feet just above the ground in the standing pose).
        hip_positions_body: (4, 3) positions of the hip (abduction) joint axes in the body frame, m.
        hip_lateral_offsets_m: (4,) signed y offset of each leg's plane from its hip joint, m (positive = left).
        thigh_length_m, calf_length_m: effective link lengths (joint-to-joint and knee-to-foot-centre), m.
        foot_radius_m: radius of the foot collision sphere, m.
        foot_spinning_friction: PyBullet spinning-friction coefficient of the feet (torque about the contact normal
            per newton of normal force, m), applied at load time. pybullet_data's Laikago toes say 0.1, i.e. a 10 cm
            lever on a 3 cm sphere: it pins every planted foot against yawing, and since the legs have no yaw joint
            the whole robot could barely turn (0.03 rad/s for a 0.5 rad/s command). A few mm matches a small
            rubber contact patch ((2/3)·μ·a for patch radius a).
        foot_lateral_friction: lateral friction coefficient of the feet, applied at load time; ``None`` keeps the
            URDF's. PyBullet multiplies the foot's and the ground's coefficients, so 1.0 (the Laikago URDFs' value)
            makes ``ground_friction`` the effective foot-ground coefficient; URDFs without a ``<contact>`` tag get
            PyBullet's default 0.5, and the Mini Cheetah's toes say 3.0.
        body_contact_links: URDF link names whose contact with the ground ends an episode (-1 = the base link is
            always included).
    """

    name: str
    urdf: str
    urdf_joint_names: tuple[str, ...]
    foot_link_names: tuple[str, ...]
    joint_directions: tuple[float, ...]
    joint_offsets: tuple[float, ...]
    standing_pose: tuple[float, ...]
    joint_lower: tuple[float, ...]
    joint_upper: tuple[float, ...]
    torque_limits: tuple[float, ...]
    velocity_limits: tuple[float, ...]
    kp: tuple[float, ...]
    kd: tuple[float, ...]
    spawn_height_m: float
    hip_positions_body: tuple[tuple[float, float, float], ...]
    hip_lateral_offsets_m: tuple[float, ...]
    thigh_length_m: float
    calf_length_m: float
    foot_radius_m: float
    foot_spinning_friction: float = 0.005
    foot_lateral_friction: float | None = None
    body_contact_links: tuple[str, ...] = field(default=())
    description: str = ""

    def __post_init__(self) -> None:
        if len(self.urdf_joint_names) != NUM_JOINTS:
            raise ValueError(f"{self.name}: need {NUM_JOINTS} urdf_joint_names, got {len(self.urdf_joint_names)}")
        if len(self.foot_link_names) != NUM_LEGS:
            raise ValueError(f"{self.name}: need {NUM_LEGS} foot_link_names, got {len(self.foot_link_names)}")
        for attr in ("joint_directions", "joint_offsets", "standing_pose", "joint_lower", "joint_upper",
                     "torque_limits", "velocity_limits", "kp", "kd"):
            object.__setattr__(self, attr, _vec(getattr(self, attr), NUM_JOINTS, f"{self.name}.{attr}"))
        object.__setattr__(self, "hip_lateral_offsets_m",
                           _vec(self.hip_lateral_offsets_m, NUM_LEGS, f"{self.name}.hip_lateral_offsets_m"))
        if self.foot_lateral_friction is not None:
            mu = float(self.foot_lateral_friction)
            if not np.isfinite(mu) or mu <= 0:
                raise ValueError(f"{self.name}.foot_lateral_friction must be a positive number or None, "
                                 f"got {self.foot_lateral_friction!r}")
            object.__setattr__(self, "foot_lateral_friction", mu)
        hips = np.asarray(self.hip_positions_body, dtype=float)
        if hips.shape != (NUM_LEGS, 3):
            raise ValueError(f"{self.name}.hip_positions_body must have shape (4, 3), got {hips.shape}")
        object.__setattr__(self, "hip_positions_body", tuple(tuple(float(v) for v in row) for row in hips))
        lower, upper, stand = self.lower_limits, self.upper_limits, self.standing_angles
        if np.any(lower >= upper):
            raise ValueError(f"{self.name}: joint_lower must be below joint_upper")
        if np.any(stand < lower) or np.any(stand > upper):
            raise ValueError(f"{self.name}: standing_pose lies outside the joint limits")

    # Numpy views (fresh arrays, so callers may modify them).
    @property
    def num_joints(self) -> int:
        return NUM_JOINTS

    @property
    def num_legs(self) -> int:
        return NUM_LEGS

    @property
    def standing_angles(self) -> np.ndarray:
        """Standing pose in controller angles, rad, shape (12,)."""
        return np.array(self.standing_pose)

    @property
    def lower_limits(self) -> np.ndarray:
        return np.array(self.joint_lower)

    @property
    def upper_limits(self) -> np.ndarray:
        return np.array(self.joint_upper)

    @property
    def torque_limit_array(self) -> np.ndarray:
        return np.array(self.torque_limits)

    @property
    def hip_positions(self) -> np.ndarray:
        """Hip joint positions in the body frame, m, shape (4, 3)."""
        return np.array(self.hip_positions_body)

    @property
    def leg_length_m(self) -> float:
        return self.thigh_length_m + self.calf_length_m

    def controller_to_urdf(self, angles: np.ndarray) -> np.ndarray:
        """Controller joint angles (rad, (..., 12)) -> URDF joint angles."""
        return np.asarray(angles) * np.array(self.joint_directions) + np.array(self.joint_offsets)

    def urdf_to_controller(self, urdf_angles: np.ndarray) -> np.ndarray:
        """URDF joint angles (rad, (..., 12)) -> controller joint angles."""
        return (np.asarray(urdf_angles) - np.array(self.joint_offsets)) * np.array(self.joint_directions)
