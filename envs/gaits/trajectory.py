"""Open-loop foot trajectories for periodic gaits (pure numpy).

Conventions
-----------
* Legs ordered FR, FL, RR, RL (index 0..3).
* Body frame: x forward, y left, z up. The *hip frame* of a leg has the
  body-frame axes and its origin at that leg's hip (abduction) joint.
* Leg phase in cycles, ``[0, 1)``: ``[0, duty)`` is stance (phase 0 is
  touch-down), ``[duty, 1)`` is swing (phase ``duty`` is lift-off).
* ``command = (vx, vy, yaw_rate)`` in m/s, m/s, rad/s, body frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .spec import GaitSpec, check_body_height


def _finite_array(name: str, value: object, shape: tuple[int, ...] | None = None) -> np.ndarray:
    try:
        arr = np.array(value, dtype=float)  # always a fresh copy
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a numeric array, got {value!r}") from None
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return arr


def _wrap_cycles(x: np.ndarray) -> np.ndarray:
    """``x % 1`` guaranteed to lie in [0, 1) (``-1e-20 % 1.0`` is 1.0 in floats)."""
    out = np.mod(x, 1.0)
    return np.where(out >= 1.0, 0.0, out)


def leg_phases(time_s: float | np.ndarray, spec: GaitSpec, phase0: float = 0.0) -> np.ndarray:
    """Phase of each leg, ``(phase0 + time_s * f − offset_i) % 1``, in cycles: leg i's phase is 0 (touch-down) at
    ``offset_i`` cycles, as :class:`GaitSpec` defines the offsets. (Before quadgait 0.2 the offset was added, so
    legs landed at −offset: the walk and the gallop ran the mirror image of their specs.)

    Args:
        time_s: time in s; a scalar or an array of shape ``(N,)`` (any shape).
        spec: the gait.
        phase0: global phase at ``time_s = 0``, in cycles.

    Returns:
        Array of shape ``(4,)`` for a scalar time, else ``time_s.shape + (4,)``,
        values in [0, 1), legs FR, FL, RR, RL.
    """
    t = _finite_array("time_s", time_s)
    p0 = float(_finite_array("phase0", phase0, ()))
    offsets = np.asarray(spec.phase_offsets, dtype=float)
    return _wrap_cycles(p0 + t[..., None] * spec.stride_frequency_hz - offsets)


def stance_mask(phases: np.ndarray, duty: float) -> np.ndarray:
    """Boolean stance flags, ``phases < duty``; same shape as ``phases`` (e.g. ``(4,)``)."""
    if not 0.0 < float(duty) < 1.0:
        raise ValueError(f"duty must be in (0, 1), got {duty!r}")
    return _wrap_cycles(_finite_array("phases", phases)) < float(duty)


def minimum_jerk(s: np.ndarray) -> np.ndarray:
    """Quintic ``10s^3 - 15s^4 + 6s^5``: 0 -> 1 on [0, 1], zero velocity and acceleration at both ends."""
    s = np.asarray(s, dtype=float)
    return s * s * s * (10.0 + s * (-15.0 + 6.0 * s))


def swing_height_profile(s: np.ndarray) -> np.ndarray:
    """``(1 - cos 2 pi s) / 2``: 0 at s=0 and s=1, 1 at s=0.5, zero slope at both ends."""
    return 0.5 * (1.0 - np.cos(2.0 * np.pi * np.asarray(s, dtype=float)))


@dataclass(frozen=True, eq=False)
class FootTrajectoryGenerator:
    """Raibert-style open-loop foot placement plus swing curves.

    Attributes:
        spec: the gait.
        hip_positions_body: ``(4, 3)`` m, hip joint positions in the body
            frame (only x and y are used, for yaw-rate footprints).
        nominal_feet_hip_frame: ``(4, 3)`` m, each foot's neutral position in
            its hip frame at standing height (x ~ 0, y = lateral offset,
            z = -body height).
        max_step_length_m: clamp of the stride vector, per component (x and
            y), in m; > 0.

    The arrays are copied and made read-only on construction.
    """

    spec: GaitSpec
    hip_positions_body: np.ndarray
    nominal_feet_hip_frame: np.ndarray
    max_step_length_m: float = 0.3

    def __post_init__(self) -> None:
        if not isinstance(self.spec, GaitSpec):
            raise ValueError(f"spec must be a GaitSpec, got {type(self.spec).__name__}")
        for name in ("hip_positions_body", "nominal_feet_hip_frame"):
            arr = _finite_array(name, getattr(self, name), (4, 3))
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        step = float(_finite_array("max_step_length_m", self.max_step_length_m, ()))
        if step <= 0.0:
            raise ValueError(f"max_step_length_m must be > 0 m, got {self.max_step_length_m!r}")
        object.__setattr__(self, "max_step_length_m", step)

    def stride_vectors(self, command: np.ndarray) -> np.ndarray:
        """Stride ``S = v_leg * T_stance`` per leg, ``(4, 2)`` m (body-frame x, y), clamped.

        ``v_leg = (vx - yaw_rate * y_hip, vy + yaw_rate * x_hip)`` is the
        foot's ground velocity command in the body frame.
        """
        vx, vy, wz = _finite_array("command", command, (3,))
        hips = self.hip_positions_body
        v_leg = np.stack([vx - wz * hips[:, 1], vy + wz * hips[:, 0]], axis=-1)
        stride = v_leg * self.spec.stance_duration_s
        return np.clip(stride, -self.max_step_length_m, self.max_step_length_m)

    def stance_height_m(self, body_height_m: float | None = None) -> np.ndarray:
        """Stance foot z in each hip frame, ``(4,)`` m (negative).

        Priority: ``body_height_m`` argument, then ``spec.body_height_m``, then
        the z of ``nominal_feet_hip_frame``.
        """
        if body_height_m is not None:
            return np.full(4, -check_body_height(body_height_m, "body_height_m"))
        if self.spec.body_height_m is not None:
            return np.full(4, -self.spec.body_height_m)
        return self.nominal_feet_hip_frame[:, 2].copy()

    def foot_targets(self, phases: np.ndarray, command: np.ndarray,
                     body_height_m: float | None = None) -> np.ndarray:
        """Foot target positions in each leg's hip frame.

        Args:
            phases: leg phases in cycles, shape ``(4,)`` or ``(..., 4)`` (e.g.
                ``(N, 4)`` for N time samples); wrapped into [0, 1).
            command: ``(vx m/s, vy m/s, yaw_rate rad/s)``, body frame, shape ``(3,)``.
            body_height_m: optional hip height above ground in m, overriding
                ``spec.body_height_m`` and the nominal z.

        Returns:
            Fresh array of shape ``phases.shape + (3,)`` in m.

        Raises:
            ValueError: on a non-finite or wrongly shaped ``phases``/``command``
                or an invalid ``body_height_m``.
        """
        ph = _finite_array("phases", phases)
        if ph.ndim < 1 or ph.shape[-1] != 4:
            raise ValueError(f"phases must have shape (4,) or (..., 4), got {ph.shape}")
        ph = _wrap_cycles(ph)
        half = 0.5 * self.stride_vectors(command)           # (4, 2)
        z_stance = self.stance_height_m(body_height_m)     # (4,)
        nominal_xy = self.nominal_feet_hip_frame[:, :2]    # (4, 2)
        duty = self.spec.duty_factor

        stance = ph < duty
        s_stance = ph / duty
        s_swing = np.clip((ph - duty) / (1.0 - duty), 0.0, 1.0)
        # Stance: +S/2 -> -S/2 linearly. Swing: -S/2 -> +S/2 along minimum jerk.
        frac = np.where(stance, 1.0 - 2.0 * s_stance, 2.0 * minimum_jerk(s_swing) - 1.0)
        lift = np.where(stance, 0.0, self.spec.swing_height_m * swing_height_profile(s_swing))

        out = np.empty(ph.shape + (3,))
        out[..., :2] = nominal_xy + frac[..., None] * half
        out[..., 2] = z_stance + lift
        return out

    def trajectory(self, times_s: np.ndarray, command: np.ndarray, phase0: float = 0.0,
                   body_height_m: float | None = None) -> np.ndarray:
        """Foot targets for all legs at many times, ``(N, 4, 3)`` m in hip frames.

        Vectorized over ``times_s`` (shape ``(N,)``, s) with a constant command.
        """
        times = _finite_array("times_s", times_s)
        if times.ndim != 1:
            raise ValueError(f"times_s must have shape (N,), got {times.shape}")
        return self.foot_targets(leg_phases(times, self.spec, phase0), command, body_height_m)
