"""Scale gait presets from the Laikago, where they were tuned, to another robot (pure function, no simulator).

The presets in :mod:`envs.gaits.spec` were tuned on the Laikago (leg length ``L0`` = thigh + calf = 0.503 m,
standing hip height 0.41 m). For a robot with leg length ``L`` and ratio ``r = L / L0``, :func:`scale_gait` keeps the
gait *dynamically similar* (equal Froude number ``v² / (g·L)``, Alexander & Jayes 1983):

* lengths scale with ``r``: ``swing_height_m`` and an absolute ``body_height_m`` (``None``, "the robot's standing
  height", stays ``None``);
* times scale with ``√r`` (pendulum time ``√(L/g)``), so ``stride_frequency_hz`` is multiplied by ``1/√r``;
* speeds then scale with ``√r``: a command ``v0`` on the Laikago corresponds to ``v0·√r`` on the robot, and the
  stride length ``v·T_stance`` scales with ``r`` like every other length;
* duty factor and phase offsets are dimensionless and unchanged.

For the Laikago itself ``r`` is exactly 1 and the spec is returned unchanged.
"""

from __future__ import annotations

import math

from envs.gaits.spec import GaitSpec
from envs.robots.description import RobotDescription
from envs.robots.laikago import LAIKAGO

#: Leg length of the robot the presets were tuned on (Laikago: thigh + calf, m).
REFERENCE_LEG_LENGTH_M = LAIKAGO.leg_length_m


def leg_length_ratio(robot: RobotDescription) -> float:
    """``robot.leg_length_m / REFERENCE_LEG_LENGTH_M`` (dimensionless; 1 for the Laikago)."""
    return robot.leg_length_m / REFERENCE_LEG_LENGTH_M


def froude_speed_mps(robot: RobotDescription, laikago_speed_mps: float) -> float:
    """The speed on ``robot`` with the same Froude number as ``laikago_speed_mps`` on the Laikago, m/s."""
    return laikago_speed_mps * math.sqrt(leg_length_ratio(robot))


def scale_gait(spec: GaitSpec, robot: RobotDescription) -> GaitSpec:
    """``spec`` (tuned on the Laikago) made dynamically similar for ``robot`` (see the module docstring).

    Raises:
        ValueError: if a scaled value leaves the valid ``GaitSpec`` ranges (e.g. a very small robot pushing the
            stride frequency past 5 Hz); the message names the field.
    """
    r = leg_length_ratio(robot)
    if r == 1.0:
        return spec
    return spec.with_changes(
        stride_frequency_hz=spec.stride_frequency_hz / math.sqrt(r),
        swing_height_m=spec.swing_height_m * r,
        body_height_m=None if spec.body_height_m is None else spec.body_height_m * r,
    )
