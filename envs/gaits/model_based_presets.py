"""Gait presets of the model-based (stance-force QP) controller (pure data).

The open-loop presets in :mod:`envs.gaits.spec` are tuned for joint-target tracking (high duty factors, low feet,
no flight). A controller that plans ground forces can run the gaits as animals do: bound, gallop and pronk with
short stances and a flight phase, a faster trot. These presets keep the same footfall patterns (the same phase
offsets up to the gallop's lead split) with their own frequencies, duty factors and heights, so the open-loop
presets, and every test and table built on them, stay as they are.

Hip heights: the bound and the gallop stand taller than the standing pose (0.43 and 0.45 m instead of 0.41 m):
their short stances need 150-250 N per foot, and through the leg Jacobian the Laikago's 35 N·m knees give
~240 N of vertical force with the foot under the hip at 0.41 m but ~310 N at 0.45 m (less with the foot ahead of
the hip). The flat-topped force profiles (small ``force_taper``) keep the peaks near the mean for the same reason.

Like the open-loop presets they are tuned on the Laikago and scaled to other robots by
:func:`envs.gaits.scaling.scale_gait` (equal Froude number).
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass

from envs.gaits.spec import GaitSpec


@dataclass(frozen=True)
class ModelBasedGait:
    """A gait for :class:`~envs.gaits.model_based.ModelBasedController`.

    Attributes:
        spec: timing and geometry (stride frequency, duty factor, phase offsets, swing height, hip height).
        design_speed_mps: forward speed the gait is tuned and measured at, m/s (Laikago; Froude-scale it for other
            robots with :func:`envs.gaits.scaling.froude_speed_mps`).
        force_taper: Tukey taper of each stance's planned normal-force profile, in (0, 1] (1: a smooth sin² bump,
            for gaits that hop; small: a flat top, so overlapping stances hand the load over smoothly).
    """

    spec: GaitSpec
    design_speed_mps: float
    force_taper: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 < self.force_taper <= 1.0:
            raise ValueError(f"force_taper must be in (0, 1], got {self.force_taper!r}")


# name:   (frequency Hz, duty, (FR, FL, RR, RL), swing height m, hip height m or None, design speed m/s, taper)
_TABLE: dict[str, tuple[float, float, tuple[float, float, float, float], float, float | None, float, float]] = {
    # Four-beat lateral sequence: RR -> FR -> RL -> FL (the open-loop walk's offsets).
    "walk": (1.25, 0.75, (0.0, 0.5, 0.75, 0.25), 0.08, None, 0.5, 0.5),
    # Diagonal pairs, little overlap: flat-topped force profiles hand the load from pair to pair.
    "trot": (2.5, 0.55, (0.0, 0.5, 0.5, 0.0), 0.08, None, 1.0, 0.3),
    # Lateral pairs.
    "pace": (2.5, 0.55, (0.0, 0.5, 0.0, 0.5), 0.08, None, 0.6, 0.3),
    # Front pair then rear pair, each stance 45% of the stride: a short flight after each pair.
    "bound": (3.0, 0.45, (0.0, 0.0, 0.5, 0.5), 0.08, 0.43, 0.8, 0.3),
    # Rotary gallop FR -> FL -> RL -> RR with a 0.12-cycle lead split (wider than the open-loop preset's 0.1, which
    # sits on the bound template's tolerance) and two short flights.
    "gallop": (3.5, 0.34, (0.0, 0.12, 0.62, 0.5), 0.08, 0.45, 1.0, 0.2),
    # All four together, 45% of the stride in the air.
    "pronk": (2.5, 0.55, (0.0, 0.0, 0.0, 0.0), 0.05, None, 0.5, 0.3),
}

MODEL_BASED_GAITS: Mapping[str, ModelBasedGait] = types.MappingProxyType({
    name: ModelBasedGait(
        spec=GaitSpec(name=name, stride_frequency_hz=freq, duty_factor=duty, phase_offsets=offsets,
                      swing_height_m=swing, body_height_m=height),
        design_speed_mps=speed, force_taper=taper)
    for name, (freq, duty, offsets, swing, height, speed, taper) in _TABLE.items()
})


def get_model_based_gait(name: str) -> ModelBasedGait:
    """The model-based preset called ``name`` (case-insensitive).

    Raises:
        ValueError: unknown name; the message lists the valid ones.
    """
    key = name.strip().lower() if isinstance(name, str) else name
    try:
        return MODEL_BASED_GAITS[key]
    except (KeyError, TypeError):
        raise ValueError(f"unknown model-based gait {name!r}; valid: {', '.join(sorted(MODEL_BASED_GAITS))}") \
            from None
