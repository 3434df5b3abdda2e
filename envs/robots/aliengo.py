"""Unitree Aliengo, as modelled by pybullet_data's ``aliengo/aliengo.urdf``.

Geometry read from that URDF (joint origins, in m):

* hip (abduction) joints ``<leg>_hip_joint`` (revolute) at x = ±0.2399, y = ±0.051, z = 0 in the ``trunk`` frame,
  axis +x for all four legs (direction +1);
* thigh joints ``<leg>_upper_joint`` 0.083 m outward of the hip joint (y = ∓0.083), axis +y, type ``continuous``
  (PyBullet loads it as a revolute joint without limits); the knee ``<leg>_lower_joint`` (revolute, axis +y) is
  0.25 m straight below it and the toe link ``<leg>_toe`` (fixed joint, collision sphere r = 0.0265) 0.25 m straight
  below the knee: one leg plane, ``hip_lateral_offsets_m = ∓0.083``, ``thigh = calf = 0.25``.
* Straight down at URDF zero, +y rotation swings the foot backward, negative knee range: the controller convention,
  so all offsets are 0 and all directions +1 (the same layout as the A1's URDF).
* Joint limits (URDF): hip ±1.2217, calf −2.7751..−0.6458 rad; the thigh is continuous, so its limits are the
  Laikago's chosen −1.0..2.6 rad (the Aliengo is the Laikago's successor; the range covers every gait target).
  Effort 44.4 N·m and velocity 40 rad/s on every joint; we use both (≈ Unitree's published 44 N·m peak; approximate).
* Mass 20.638 kg in all (trunk 9.041 + 4 × (hip 1.993 + thigh 0.639 + calf 0.207 + toe 0.06) + imu 0.001);
  17 PyBullet joints (12 revolute; fixed: imu, 4 × toe).

Standing pose thigh 0.75, calf −1.5 rad (feet under the hips, as on the A1): hip height 0.366 m.

PD gains: kp = 300 N·m/rad (Laikago) × m·L ratio (20.64 × 0.50 / (25.57 × 0.503) = 0.80) → 240. kd = 2.4: the calf's
inertia about the knee is I ≈ 0.0143 kg·m² (PyBullet mass matrix, standing pose), so kd·dt/I ≈ 0.67 and
kp·dt²/I ≈ 0.27 at 250 Hz; swing damping ratio ≈ 0.65.
"""

from __future__ import annotations

from envs.robots.description import LEG_NAMES, RobotDescription, hip_layout

_HIP_X, _HIP_Y = 0.2399, 0.051
_LATERAL = 0.083

ALIENGO = RobotDescription(
    name="aliengo",
    urdf="package://pybullet_data/aliengo/aliengo.urdf",
    urdf_joint_names=tuple(f"{leg}_{j}_joint" for leg in LEG_NAMES for j in ("hip", "upper", "lower")),
    foot_link_names=tuple(f"{leg}_toe" for leg in LEG_NAMES),
    joint_directions=(1.0,) * 12,
    joint_offsets=(0.0,) * 12,
    # Feet straight below the hips: hip height 0.5 cos 0.75 = 0.366 m.
    standing_pose=(0.0, 0.75, -1.5) * 4,
    joint_lower=(-1.2217304764, -1.0, -2.77507351067) * 4,
    joint_upper=(1.2217304764, 2.6, -0.645771823238) * 4,
    torque_limits=(44.4, 44.4, 44.4) * 4,
    velocity_limits=(40.0, 40.0, 40.0) * 4,
    kp=(240.0, 240.0, 240.0) * 4,
    kd=(2.4, 2.4, 2.4) * 4,
    spawn_height_m=0.405,  # standing base height 0.392 m + 1.3 cm
    hip_positions_body=hip_layout(_HIP_X, -_HIP_X, _HIP_Y),
    hip_lateral_offsets_m=(-_LATERAL, _LATERAL, -_LATERAL, _LATERAL),
    thigh_length_m=0.25,
    calf_length_m=0.25,
    foot_radius_m=0.0265,
    foot_spinning_friction=0.005,
    foot_lateral_friction=1.0,
    body_contact_links=tuple(f"{leg}_{part}" for leg in LEG_NAMES for part in ("hip", "upper")),
    description="Unitree Aliengo (pybullet_data aliengo/aliengo.urdf, primitive collision shapes).",
)
