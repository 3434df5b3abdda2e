"""MIT Mini Cheetah, as modelled by pybullet_data's ``mini_cheetah/mini_cheetah.urdf``.

Geometry read from that URDF (joint origins, in m; legs are named fr, fl, hr, hl, "h" = hind):

* abduction joints ``torso_to_abduct_<leg>_j`` at x = ±0.19, y = ±0.049, z = 0 in the ``body`` frame, axis +x for
  all four legs (direction +1);
* hip pitch joints ``abduct_<leg>_to_thigh_<leg>_j`` 0.062 m outward of the abduction joint (y = ∓0.062), axis
  **−y**; the knee ``thigh_<leg>_to_knee_<leg>_j`` (axis −y) 0.209 m straight below it; the toe link ``toe_<leg>``
  (fixed joint, collision sphere r = 0.015) 0.18 m straight below the knee. One leg plane:
  ``hip_lateral_offsets_m = ∓0.062``, ``thigh = 0.209``, ``calf = 0.18``.
* Straight down at URDF zero; because both pitch axes are −y, a positive URDF angle swings the foot *forward*, so the
  thigh and calf directions are −1 (offsets 0). Knees bend backward (URDF knee angle > 0, controller calf < 0).
* All 12 joints are ``continuous`` (PyBullet: revolute, no limits, no effort or velocity values), so the joint
  limits are the Laikago's chosen ones (hip ±0.87, thigh −1.0..2.6, calf −2.6..−0.35 rad), which cover every gait
  target with margin.
* Mass 8.852 kg in all (body 3.3 + 4 × (abduct 0.54 + thigh 0.634 + shank 0.064 + toe 0.15)); 16 PyBullet joints
  (12 revolute, 4 fixed toes). The thighs' inertia tensors violate the triangle inequality (principal moments
  ≈ 2.30, 1.79, 0.41 g·m²), so PyBullet warns "Bad inertia tensor properties" and zeroes them: each thigh is a
  point mass. That lowers the hip-pitch joint's inertia by ≈ 10 % (the shank and the 0.15 kg toe dominate).
* The toes carry their own ``<contact>`` values: lateral friction 3.0 (PyBullet multiplies the two bodies'
  coefficients, so it would triple ``ground_friction``; we set 1.0 like the Laikago's), spinning friction 0.3
  (replaced by ``foot_spinning_friction``) and a soft contact (stiffness 3e4 N/m, damping 1e3 N·s/m, as on the
  stock Laikago toes; kept).

Torque limits 17 / 17 / 26 N·m and velocity limits 40 / 40 / 26 rad/s: the Mini Cheetah actuator's published
≈ 17 N·m peak through its 6:1 planetary, and the knee's extra ≈ 1.55:1 belt stage (approximate).

Standing pose: calf −1.5 rad, thigh chosen to put the feet straight under the hips (0.681 rad): hip height 0.285 m,
close to the ≈ 0.29 m body height the MIT controller stands at.

PD gains: kp = 300 N·m/rad (Laikago) × m·L ratio (8.85 × 0.389 / (25.57 × 0.503) = 0.27) would be 80; we use 100.
With 80 the scripted trot (Froude-scaled 0.44 m/s) made 68 % of the commanded speed and drifted 11° in heading in
20 s; with 100, 73 % and 6° (the URDF puts every abduct/thigh centre of mass on the +y side, so the robot is not
left-right symmetric). kd = 1.0: the calf's inertia about the knee is I ≈ 0.0079 kg·m² (PyBullet mass matrix,
standing pose), so kd·dt/I ≈ 0.50 and kp·dt²/I ≈ 0.20 at 250 Hz; swing damping ratio kd / (2√(kp·I)) ≈ 0.56.
Foot spinning friction 0.003 m instead of 0.005 m: with (2/3)·μ·a, 0.005 m means a 7.5 mm contact patch, half
this 15 mm toe's radius; 0.003 m (a ≈ 4.5 mm) matches a Hertzian patch scaled from the Laikago's by
(load × radius)^(1/3) ≈ 0.56.
"""

from __future__ import annotations

import math

from envs.robots.description import RobotDescription, hip_layout

_HIP_X, _HIP_Y = 0.19, 0.049
_LATERAL = 0.062
_THIGH, _CALF = 0.209, 0.18
_STAND_CALF = -1.5
# Thigh angle that puts the foot straight below the hip for this knee bend (unequal links): 0.681 rad.
_STAND_THIGH = -math.atan2(_CALF * math.sin(_STAND_CALF), _THIGH + _CALF * math.cos(_STAND_CALF))
_URDF_LEGS = ("fr", "fl", "hr", "hl")  # FR, FL, RR, RL

MINI_CHEETAH = RobotDescription(
    name="mini_cheetah",
    urdf="package://pybullet_data/mini_cheetah/mini_cheetah.urdf",
    urdf_joint_names=tuple(
        name
        for leg in _URDF_LEGS
        for name in (f"torso_to_abduct_{leg}_j", f"abduct_{leg}_to_thigh_{leg}_j", f"thigh_{leg}_to_knee_{leg}_j")
    ),
    foot_link_names=tuple(f"toe_{leg}" for leg in _URDF_LEGS),
    joint_directions=(1.0, -1.0, -1.0) * 4,
    joint_offsets=(0.0,) * 12,
    standing_pose=(0.0, _STAND_THIGH, _STAND_CALF) * 4,
    joint_lower=(-0.87, -1.0, -2.6) * 4,
    joint_upper=(0.87, 2.6, -0.35) * 4,
    torque_limits=(17.0, 17.0, 26.0) * 4,
    velocity_limits=(40.0, 40.0, 26.0) * 4,
    kp=(100.0, 100.0, 100.0) * 4,
    kd=(1.0, 1.0, 1.0) * 4,
    spawn_height_m=0.31,  # standing base height 0.300 m + 1 cm
    hip_positions_body=hip_layout(_HIP_X, -_HIP_X, _HIP_Y),
    hip_lateral_offsets_m=(-_LATERAL, _LATERAL, -_LATERAL, _LATERAL),
    thigh_length_m=_THIGH,
    calf_length_m=_CALF,
    foot_radius_m=0.015,
    foot_spinning_friction=0.003,
    foot_lateral_friction=1.0,
    body_contact_links=tuple(f"{part}_{leg}" for leg in _URDF_LEGS for part in ("abduct", "thigh")),
    description="MIT Mini Cheetah (pybullet_data mini_cheetah/mini_cheetah.urdf, mesh collision geometry).",
)
