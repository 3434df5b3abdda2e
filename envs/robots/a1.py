"""Unitree A1, as modelled by pybullet_data's ``a1/a1.urdf``.

Geometry read from that URDF (joint origins, in m; every leg joint is ``revolute``):

* hip (abduction) joints ``<leg>_hip_joint`` at x = ±0.183, y = ±0.047, z = 0 in the ``trunk`` frame, axis +x for
  all four legs (so our hip angle *is* the URDF angle, direction +1);
* thigh joints ``<leg>_upper_joint`` 0.08505 m outward of the hip joint (y = ∓0.08505), axis +y; the knee
  ``<leg>_lower_joint`` is 0.2 m straight below it (axis +y) and the toe link ``<leg>_toe`` (fixed joint, collision
  sphere r = 0.02) 0.2 m straight below the knee. Thigh, shank and toe lie in one plane, so the leg matches our
  3-DOF model exactly with ``hip_lateral_offsets_m = ∓0.08505``, ``thigh = calf = 0.2``.
* At URDF zero the leg hangs straight down, a positive rotation about +y swings the foot backward and the knee
  range is negative (knee behind the foot line): the controller convention itself, so all offsets are 0.
* Joint limits (URDF): hip ±0.8029, thigh −1.0472..4.1888, calf −2.6965..−0.9163 rad; velocity limits
  52.4 / 28.6 / 28.6 rad/s.
* Mass 12.458 kg in all (trunk 4.713 + 4 × (hip 0.696 + shoulder 0.001 + thigh 1.013 + calf 0.166 + toe 0.06) +
  imu 0.001); 21 PyBullet joints (12 revolute; fixed: imu, 4 × hip→shoulder-collision link, 4 × toe).

Torque limit 33.5 N·m on every joint: Unitree's published A1 motor peak torque (approximate; this URDF's
``effort`` values, 20 N·m hip / 55 N·m thigh and calf, are not the motor's). Standing pose: Unitree's usual A1
stance (thigh 0.75, calf −1.5 rad, feet straight under the hips): hip height 0.293 m, a little more crouched than
the Laikago's 0.81 × leg length, as the A1 is usually run.

PD gains: kp is the Laikago's 300 N·m/rad scaled by m·L (gravity torque: 12.46 kg × 0.40 m vs 25.57 kg × 0.503 m,
ratio 0.39) → 120, which gives the same joint *angle* sag under the body weight as on the Laikago. kd = 1.2: the
lightest joint is the calf, I ≈ 0.0073 kg·m² about the knee (calf + toe, PyBullet's mass matrix at the standing
pose, fixed base), so kd·dt/I = 1.2 × 0.004 / 0.0073 ≈ 0.65 and kp·dt²/I ≈ 0.26 at 250 Hz (the Laikago's calf: 0.82
and 0.33); swing-leg damping ratio kd / (2√(kp·I)) ≈ 0.64 (Laikago 0.72).
"""

from __future__ import annotations

from envs.robots.description import LEG_NAMES, RobotDescription, hip_layout

_HIP_X, _HIP_Y = 0.183, 0.047
_LATERAL = 0.08505  # thigh joint outward of the hip joint; knee and toe are in the thigh's plane

A1 = RobotDescription(
    name="a1",
    urdf="package://pybullet_data/a1/a1.urdf",
    urdf_joint_names=tuple(f"{leg}_{j}_joint" for leg in LEG_NAMES for j in ("hip", "upper", "lower")),
    foot_link_names=tuple(f"{leg}_toe" for leg in LEG_NAMES),
    joint_directions=(1.0,) * 12,
    joint_offsets=(0.0,) * 12,
    # Feet straight below the hips (thigh = -calf / 2 for equal links): hip height 0.4 cos 0.75 = 0.293 m.
    standing_pose=(0.0, 0.75, -1.5) * 4,
    joint_lower=(-0.802851455917, -1.0471975512, -2.69653369433) * 4,
    joint_upper=(0.802851455917, 4.18879020479, -0.916297857297) * 4,
    torque_limits=(33.5, 33.5, 33.5) * 4,
    velocity_limits=(52.4, 28.6, 28.6) * 4,
    kp=(120.0, 120.0, 120.0) * 4,
    kd=(1.2, 1.2, 1.2) * 4,
    spawn_height_m=0.325,  # standing base height 0.313 m + 1.2 cm
    hip_positions_body=hip_layout(_HIP_X, -_HIP_X, _HIP_Y),
    hip_lateral_offsets_m=(-_LATERAL, _LATERAL, -_LATERAL, _LATERAL),
    thigh_length_m=0.2,
    calf_length_m=0.2,
    foot_radius_m=0.02,
    foot_spinning_friction=0.005,
    foot_lateral_friction=1.0,
    body_contact_links=tuple(f"{leg}_{part}" for leg in LEG_NAMES for part in ("hip", "upper_shoulder", "upper")),
    description="Unitree A1 (pybullet_data a1/a1.urdf, primitive collision shapes).",
)
