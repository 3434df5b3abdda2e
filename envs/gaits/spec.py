"""Gait specifications and presets (pure numpy / stdlib, no simulator imports).

A :class:`GaitSpec` describes a periodic footfall pattern in *cycles*:

* Legs are always ordered FR, FL, RR, RL (index 0..3), see :data:`LEG_NAMES`.
* ``phase_offsets[i]`` is the touch-down time of leg ``i`` within one stride,
  as a fraction of the stride period in ``[0, 1)``.
* Each foot is in stance for ``duty_factor`` of the cycle, starting at its
  touch-down, then swings for the remaining ``1 - duty_factor``.

The starting presets live in :data:`_PRESET_TABLE` (one table, easy to tune).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from envs.robots.description import LEG_NAMES

#: Valid ranges, shared with :mod:`envs.gaits.trajectory`.
MAX_STRIDE_FREQUENCY_HZ = 5.0
SWING_HEIGHT_RANGE_M = (0.0, 0.25)
BODY_HEIGHT_RANGE_M = (0.15, 0.7)


def _as_finite_float(field: str, value: Any, valid: str) -> float:
    """Convert ``value`` to a finite float or raise ``ValueError`` naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{field} must be a real number {valid}, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{field} must be finite {valid}, got {value!r}")
    return out


def check_body_height(value: Any, field: str = "body_height_m") -> float:
    """Validate a hip height above ground in metres; returns it as a float."""
    lo, hi = BODY_HEIGHT_RANGE_M
    valid = f"in [{lo}, {hi}] m"
    out = _as_finite_float(field, value, valid)
    if not lo <= out <= hi:
        raise ValueError(f"{field} must be {valid}, got {value!r}")
    return out


@dataclass(frozen=True)
class GaitSpec:
    """Periodic gait description.

    Attributes:
        name: non-empty gait name.
        stride_frequency_hz: strides per second, in (0, 5] Hz.
        duty_factor: fraction of the cycle each foot is in stance, in (0, 1).
        phase_offsets: touch-down time of each leg (FR, FL, RR, RL) in cycles,
            each in [0, 1). Any length-4 sequence is accepted and stored as a
            tuple of floats.
        swing_height_m: foot clearance at mid-swing, in [0, 0.25] m.
        body_height_m: hip height above ground in m, in [0.15, 0.7]; ``None``
            means the robot's standing height.
    """

    name: str
    stride_frequency_hz: float
    duty_factor: float
    phase_offsets: tuple[float, float, float, float]
    swing_height_m: float
    body_height_m: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"name must be a non-empty string, got {self.name!r}")

        f = _as_finite_float("stride_frequency_hz", self.stride_frequency_hz,
                             f"in (0, {MAX_STRIDE_FREQUENCY_HZ}] Hz")
        if not 0.0 < f <= MAX_STRIDE_FREQUENCY_HZ:
            raise ValueError(f"stride_frequency_hz must be in (0, {MAX_STRIDE_FREQUENCY_HZ}] Hz, "
                             f"got {self.stride_frequency_hz!r}")

        duty = _as_finite_float("duty_factor", self.duty_factor, "in (0, 1)")
        if not 0.0 < duty < 1.0:
            raise ValueError(f"duty_factor must be in (0, 1), got {self.duty_factor!r}")

        offsets_in = self.phase_offsets
        if isinstance(offsets_in, (str, bytes)) or not hasattr(offsets_in, "__len__") \
                or not hasattr(offsets_in, "__iter__"):
            raise ValueError(f"phase_offsets must be a sequence of 4 numbers in [0, 1) cycles "
                             f"(FR, FL, RR, RL), got {offsets_in!r}")
        if len(offsets_in) != 4:
            raise ValueError(f"phase_offsets must have length 4 (FR, FL, RR, RL) with values in "
                             f"[0, 1) cycles, got {len(offsets_in)} values: {offsets_in!r}")
        offsets = []
        for leg, value in zip(LEG_NAMES, offsets_in, strict=True):
            field = f"phase_offsets[{leg}]"
            off = _as_finite_float(field, value, "in [0, 1) cycles")
            if not 0.0 <= off < 1.0:
                raise ValueError(f"{field} must be in [0, 1) cycles, got {value!r}")
            offsets.append(off)

        lo, hi = SWING_HEIGHT_RANGE_M
        swing = _as_finite_float("swing_height_m", self.swing_height_m, f"in [{lo}, {hi}] m")
        if not lo <= swing <= hi:
            raise ValueError(f"swing_height_m must be in [{lo}, {hi}] m, got {self.swing_height_m!r}")

        body = None if self.body_height_m is None else check_body_height(self.body_height_m)

        object.__setattr__(self, "stride_frequency_hz", f)
        object.__setattr__(self, "duty_factor", duty)
        object.__setattr__(self, "phase_offsets", tuple(offsets))
        object.__setattr__(self, "swing_height_m", swing)
        object.__setattr__(self, "body_height_m", body)

    # ------------------------------------------------------------------ helpers
    @property
    def period_s(self) -> float:
        """Stride period in seconds (``1 / stride_frequency_hz``)."""
        return 1.0 / self.stride_frequency_hz

    @property
    def stance_duration_s(self) -> float:
        """Stance duration of each foot in seconds (``duty_factor / stride_frequency_hz``)."""
        return self.duty_factor / self.stride_frequency_hz

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """Names of the dataclass fields, in declaration order."""
        return tuple(f.name for f in dataclasses.fields(cls))

    def with_changes(self, **changes: Any) -> GaitSpec:
        """Return a re-validated copy with some fields replaced.

        Raises:
            ValueError: on an unknown field name (the message lists valid
                fields) or an invalid new value.
        """
        valid = self.field_names()
        unknown = sorted(set(changes) - set(valid))
        if unknown:
            raise ValueError(f"unknown GaitSpec field(s) {unknown}; valid fields: {', '.join(valid)}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dict (YAML/JSON friendly; ``phase_offsets`` as a list)."""
        return {
            "name": self.name,
            "stride_frequency_hz": self.stride_frequency_hz,
            "duty_factor": self.duty_factor,
            "phase_offsets": list(self.phase_offsets),
            "swing_height_m": self.swing_height_m,
            "body_height_m": self.body_height_m,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GaitSpec:
        """Build a spec from a mapping as produced by :meth:`to_dict`.

        Raises:
            TypeError: if ``data`` is not a mapping.
            ValueError: on unknown or missing keys (the message lists valid
                keys) or invalid values.
        """
        if not isinstance(data, Mapping):
            raise TypeError(f"GaitSpec.from_dict expects a mapping, got {type(data).__name__}")
        valid = cls.field_names()
        unknown = sorted(set(data) - set(valid), key=str)
        if unknown:
            raise ValueError(f"unknown GaitSpec key(s) {unknown}; valid keys: {', '.join(valid)}")
        required = [f.name for f in dataclasses.fields(cls)
                    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        missing = [k for k in required if k not in data]
        if missing:
            raise ValueError(f"missing GaitSpec key(s) {missing}; valid keys: {', '.join(valid)}")
        return cls(**dict(data))


# --------------------------------------------------------------------- presets
# Tuned in simulation on the Laikago (PD kp 300, 250 Hz physics, attitude gain 0.5) with sweeps over frequency,
# duty factor, swing height and body height; each survives 20 s on flat ground (tests/envs/gaits/test_gaits_in_sim.py).
# Bound and pronk keep a high duty factor and low feet: the open-loop controller has no flight phase, so these
# are "shuffling" versions of the gaits (their footfall timing matches the gait; their speed is low).
# name:   (frequency Hz, duty, (FR,   FL,   RR,   RL),  swing height m, body (hip) height m or None = standing)
_PRESET_TABLE: dict[str, tuple[float, float, tuple[float, float, float, float], float, float | None]] = {
    # Four-beat lateral sequence: RR -> FR -> RL -> FL.
    "walk":   (1.5, 0.75, (0.0, 0.5, 0.75, 0.25), 0.10, None),
    # Diagonal pairs (FR+RL, FL+RR).
    "trot":   (2.0, 0.60, (0.0, 0.5, 0.5, 0.0), 0.10, None),
    # Lateral pairs (FR+RR, FL+RL).
    "pace":   (2.5, 0.60, (0.0, 0.5, 0.0, 0.5), 0.10, None),
    # Front pair then rear pair.
    "bound":  (3.0, 0.70, (0.0, 0.0, 0.5, 0.5), 0.05, 0.36),
    # Rotary gallop: FR -> FL -> RL -> RR.
    "gallop": (3.0, 0.60, (0.0, 0.1, 0.6, 0.5), 0.06, 0.38),
    # All four legs together.
    "pronk":  (3.0, 0.80, (0.0, 0.0, 0.0, 0.0), 0.03, 0.36),
}

GAIT_PRESETS: Mapping[str, GaitSpec] = types.MappingProxyType({
    name: GaitSpec(name=name, stride_frequency_hz=freq, duty_factor=duty,
                   phase_offsets=offsets, swing_height_m=swing, body_height_m=height)
    for name, (freq, duty, offsets, swing, height) in _PRESET_TABLE.items()
})


def get_gait(name: str) -> GaitSpec:
    """Return the preset :class:`GaitSpec` called ``name`` (case-insensitive).

    Raises:
        ValueError: for an unknown name; the message lists valid gaits.
    """
    key = name.strip().lower() if isinstance(name, str) else name
    try:
        return GAIT_PRESETS[key]
    except (KeyError, TypeError):
        raise ValueError(f"unknown gait {name!r}; valid gaits: {', '.join(sorted(GAIT_PRESETS))}") from None
