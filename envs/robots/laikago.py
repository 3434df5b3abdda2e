"""Unitree Laikago, as modelled by pybullet_data's ``laikago/laikago_toes_zup.urdf``.

Geometry below is read from that URDF (joint origins, in m):

* hip (abduction) joints at x = +0.199095 (front) / -0.238195 (rear), y = ±0.0817145, z = -0.03 in the body
  frame; the URDF hip axis is -x for right legs and +x for left legs (hence the -1 directions);
* thigh joint 0.053565 m (right) / 0.055855 m (left) outward of the hip joint, knee at (0.02069 inward,
  -0.20833 down, -0.1422 back) from it, toe centre at (-0.25 down, -0.022 back) from the knee.

So at URDF zero angles the thigh already points 0.5993 rad backward of straight down (atan2(0.1422, 0.20833)) and
the shank 0.0877 rad backward (atan2(0.022, 0.25)); the offsets map our controller convention (see
``description.py``) onto that. ``tests/envs/gaits/test_kinematics.py`` checks the result against PyBullet's
toe positions.
"""

from __future__ import annotations

import dataclasses
import math

from envs.robots.description import LEG_NAMES, RobotDescription, hip_layout

_THIGH_ZERO = math.atan2(0.1422, 0.20833)  # 0.5993 rad: thigh direction at URDF zero, from straight down
_SHANK_ZERO = math.atan2(0.022, 0.25)  # 0.0877 rad: shank direction at URDF zero, from straight down

_HIP_X_FRONT, _HIP_X_REAR, _HIP_Y, _HIP_Z = 0.199095, -0.238195, 0.0817145, -0.03
_RIGHT_LATERAL = -0.053565 + 0.02069  # thigh joint outward offset minus knee inward offset
_LEFT_LATERAL = 0.055855 - 0.02069

LAIKAGO = RobotDescription(
    name="laikago",
    urdf="package://pybullet_data/laikago/laikago_toes_zup.urdf",
    urdf_joint_names=tuple(
        f"{leg}_{j}"
        for leg in LEG_NAMES
        for j in ("hip_motor_2_chassis_joint", "upper_leg_2_hip_motor_joint", "lower_leg_2_upper_leg_joint")
    ),
    foot_link_names=tuple(f"toe{leg}" for leg in LEG_NAMES),
    joint_directions=(-1, 1, 1, 1, 1, 1, -1, 1, 1, 1, 1, 1),
    joint_offsets=(0.0, -_THIGH_ZERO, _THIGH_ZERO - _SHANK_ZERO) * 4,
    # Feet straight below the hips with a 1.25 rad knee bend: hip height 0.41 m.
    standing_pose=(0.0, 0.62, -1.25) * 4,
    joint_lower=(-0.87, -1.0, -2.6) * 4,
    joint_upper=(0.87, 2.6, -0.35) * 4,
    torque_limits=(35.0, 35.0, 35.0) * 4,
    velocity_limits=(20.0, 20.0, 20.0) * 4,
    kp=(300.0, 300.0, 300.0) * 4,
    kd=(3.0, 3.0, 3.0) * 4,
    spawn_height_m=0.48,
    hip_positions_body=hip_layout(_HIP_X_FRONT, _HIP_X_REAR, _HIP_Y, _HIP_Z),
    hip_lateral_offsets_m=(_RIGHT_LATERAL, _LEFT_LATERAL, _RIGHT_LATERAL, _LEFT_LATERAL),
    thigh_length_m=math.hypot(0.20833, 0.1422),
    calf_length_m=math.hypot(0.25, 0.022),
    foot_radius_m=0.03,
    foot_spinning_friction=0.005,
    body_contact_links=tuple(f"{leg}_{part}" for leg in LEG_NAMES for part in ("hip_motor", "upper_leg")),
    description="Stock pybullet_data Laikago (mesh collision geometry).",
)

#: Same robot, project-owned URDF with primitive collision shapes (box body, capsule legs, sphere toes).
LAIKAGO_FAST = dataclasses.replace(
    LAIKAGO,
    name="laikago_fast",
    urdf="laikago_fast.urdf",
    description="Laikago with primitive collision geometry (urdf/laikago_fast.urdf); same visuals and inertia.",
)
