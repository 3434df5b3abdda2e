"""Gait specifications and open-loop foot trajectories (pure numpy)."""

from .spec import (
    BODY_HEIGHT_RANGE_M,
    GAIT_PRESETS,
    LEG_NAMES,
    MAX_STRIDE_FREQUENCY_HZ,
    SWING_HEIGHT_RANGE_M,
    GaitSpec,
    get_gait,
)
from .trajectory import (
    FootTrajectoryGenerator,
    leg_phases,
    minimum_jerk,
    stance_mask,
    swing_height_profile,
)

__all__ = [
    "BODY_HEIGHT_RANGE_M",
    "GAIT_PRESETS",
    "LEG_NAMES",
    "MAX_STRIDE_FREQUENCY_HZ",
    "SWING_HEIGHT_RANGE_M",
    "FootTrajectoryGenerator",
    "GaitSpec",
    "get_gait",
    "leg_phases",
    "minimum_jerk",
    "stance_mask",
    "swing_height_profile",
]
