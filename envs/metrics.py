"""Locomotion metrics for recorded quadruped rollouts (pure numpy).

A :class:`Rollout` holds per-control-step arrays of one episode; the public functions
below each compute one metric and :func:`summarize` returns all of them in a dict with
SI-unit-suffixed keys. Contact-phase analysis (touch-downs, duty factor, stride, phase
offsets, gait classification) lives in :mod:`envs.gait_analysis` and is re-exported here.

Frames: ``*_world`` arrays are in the world frame (z up); ``*_body`` arrays are in the
robot base frame (x forward, y left, z up). Legs are ordered FR, FL, RR, RL.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from envs.gait_analysis import (
    GAIT_NAMES,
    aerial_fraction,
    circular_distance_cycles,
    circular_mean_cycles,
    classify_gait,
    classify_offsets,
    debounce_contacts,
    duty_factors,
    footfall_segments,
    phase_offsets,
    stride_frequency_hz,
    stride_period_s,
    touchdown_times,
)
from envs.numerics import norm
from envs.path_metrics import commanded_path_world, path_error_m
from envs.robots.description import GRAVITY_MPS2, LEG_NAMES

__all__ = [
    "GRAVITY_MPS2", "GAIT_NAMES", "LEG_NAMES", "Rollout",
    "action_smoothness", "aerial_fraction", "circular_distance_cycles", "circular_mean_cycles", "classify_gait",
    "classify_offsets", "cost_of_transport", "debounce_contacts", "distance_m", "duration_s", "duty_factors",
    "foot_slip_mps", "footfall_segments", "forward_distance_m", "froude_number",
    "heading_change_deg", "heading_drift_deg", "commanded_path_world", "path_error_m", "mean_forward_speed_mps",
    "mean_yaw_rate_radps", "mechanical_energy_j", "phase_offsets",
    "pitch_rms_rad", "roll_rms_rad", "stride_frequency_hz", "stride_length_m",
    "stride_period_s", "summarize", "swing_clearance_m", "time_to_fall_s", "touchdown_times",
    "tracking_error_xy_mps", "tracking_error_yaw_radps",
]

#: Below this xy displacement (m) the cost of transport is undefined (NaN).
MIN_COT_DISTANCE_M = 1e-3

# Per-step array fields and their trailing shape (after the leading T axis).
_ARRAY_FIELDS: dict[str, tuple[int, ...]] = {
    "time_s": (),
    "base_position_world": (3,),
    "base_rpy": (3,),
    "base_lin_vel_world": (3,),
    "base_lin_vel_body": (3,),
    "base_ang_vel_body": (3,),
    "command": (3,),
    "joint_angles": (12,),
    "joint_velocities": (12,),
    "joint_torques": (12,),
    "actions": (-1,),  # any action size (joint targets: 12; structured action spaces differ)
    "foot_contacts": (4,),
    "foot_normal_forces": (4,),
    "foot_positions_world": (4, 3),
}


@dataclasses.dataclass(frozen=True)
class Rollout:
    """One recorded episode, sampled once per control step (T samples).

    Arrays are converted on construction (``foot_contacts`` to bool, the rest to float64),
    made read-only, and validated by :meth:`validate`.
    """

    time_s: np.ndarray  # (T,) s, strictly increasing
    dt_s: float  # control period, s
    base_position_world: np.ndarray  # (T, 3) m
    base_rpy: np.ndarray  # (T, 3) roll, pitch, yaw, rad
    base_lin_vel_world: np.ndarray  # (T, 3) m/s
    base_lin_vel_body: np.ndarray  # (T, 3) m/s
    base_ang_vel_body: np.ndarray  # (T, 3) rad/s
    command: np.ndarray  # (T, 3) commanded (vx m/s, vy m/s, yaw rate rad/s), heading frame
    joint_angles: np.ndarray  # (T, 12) rad
    joint_velocities: np.ndarray  # (T, 12) rad/s
    joint_torques: np.ndarray  # (T, 12) N*m
    actions: np.ndarray  # (T, 12) policy actions in [-1, 1]
    foot_contacts: np.ndarray  # (T, 4) bool, FR, FL, RR, RL
    foot_normal_forces: np.ndarray  # (T, 4) N
    foot_positions_world: np.ndarray  # (T, 4, 3) m, foot/toe centre
    total_mass_kg: float
    hip_height_m: float  # nominal standing hip height (Froude number)
    fell: bool
    fall_time_s: float | None

    def __post_init__(self) -> None:
        for name in _ARRAY_FIELDS:
            raw = np.asarray(getattr(self, name))
            arr = raw.astype(bool) if name == "foot_contacts" else raw.astype(np.float64)
            arr.flags.writeable = False  # the dataclass is frozen; keep the arrays so too
            object.__setattr__(self, name, arr)
        for name in ("dt_s", "total_mass_kg", "hip_height_m"):
            object.__setattr__(self, name, float(getattr(self, name)))
        object.__setattr__(self, "fell", bool(self.fell))
        if self.fall_time_s is not None:
            object.__setattr__(self, "fall_time_s", float(self.fall_time_s))
        self.validate()

    @property
    def num_steps(self) -> int:
        """Number of samples T."""
        return int(self.time_s.shape[0])

    def validate(self) -> None:
        """Check shapes and scalar ranges; raise ``ValueError`` naming the offending field."""
        if self.time_s.ndim != 1 or self.time_s.shape[0] < 1:
            raise ValueError(f"time_s has shape {self.time_s.shape}, expected (T,) with T >= 1")
        n = self.time_s.shape[0]
        for name, trailing in _ARRAY_FIELDS.items():
            shape = getattr(self, name).shape
            expected = (n, *trailing)
            if len(shape) == len(expected) and all(e in (-1, s) for s, e in zip(shape, expected, strict=True)):
                continue
            if shape != expected:
                raise ValueError(f"{name} has shape {shape}, expected {expected}")
        if n >= 2 and not bool(np.all(np.diff(self.time_s) > 0.0)):
            raise ValueError("time_s must be strictly increasing")
        for name in ("dt_s", "total_mass_kg", "hip_height_m"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0.0):
                raise ValueError(f"{name} must be finite and > 0, got {value}")
        if self.fall_time_s is not None and not math.isfinite(self.fall_time_s):
            raise ValueError(f"fall_time_s must be finite or None, got {self.fall_time_s}")

    def to_dict(self) -> dict[str, np.ndarray | float | bool]:
        """Plain dict suitable for ``np.savez_compressed(path, **d)``.

        ``fall_time_s=None`` is stored as NaN (npz cannot hold None without pickling).
        """
        d: dict[str, Any] = {name: np.array(getattr(self, name)) for name in _ARRAY_FIELDS}
        d.update(dt_s=self.dt_s, total_mass_kg=self.total_mass_kg, hip_height_m=self.hip_height_m,
                 fell=self.fell, fall_time_s=math.nan if self.fall_time_s is None else self.fall_time_s)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Rollout:
        """Inverse of :meth:`to_dict`; also accepts an ``np.load`` result (0-d arrays as scalars).

        Unknown keys are ignored (savers may add metadata); a NaN ``fall_time_s`` becomes None.
        """
        names = [f.name for f in dataclasses.fields(cls)]
        missing = [name for name in names if name not in d]
        if missing:
            raise ValueError(f"Rollout.from_dict: missing fields {missing}")
        kwargs: dict[str, Any] = {name: d[name] for name in _ARRAY_FIELDS}
        for name in ("dt_s", "total_mass_kg", "hip_height_m"):
            kwargs[name] = float(np.asarray(d[name]))
        kwargs["fell"] = bool(np.asarray(d["fell"]))
        fall = d["fall_time_s"]
        fall = None if fall is None else float(np.asarray(fall))
        kwargs["fall_time_s"] = None if fall is None or math.isnan(fall) else fall
        return cls(**kwargs)


def _mean_or_nan(values: np.ndarray) -> float:
    """Mean of an array, NaN (without a numpy warning) when it is empty."""
    return float(np.mean(values)) if values.size else math.nan


def mean_forward_speed_mps(rollout: Rollout) -> float:
    """Mean body-frame forward velocity ``mean(base_lin_vel_body[:, 0])``, m/s (signed)."""
    return float(np.mean(rollout.base_lin_vel_body[:, 0]))


def distance_m(rollout: Rollout) -> float:
    """World-xy displacement of the base from first to last sample (norm), m. 0 if T == 1."""
    delta = rollout.base_position_world[-1, :2] - rollout.base_position_world[0, :2]
    return norm(delta)


def forward_distance_m(rollout: Rollout) -> float:
    """World-x displacement of the base from first to last sample, m (signed)."""
    return float(rollout.base_position_world[-1, 0] - rollout.base_position_world[0, 0])


def tracking_error_xy_mps(rollout: Rollout) -> float:
    """Time-averaged planar velocity tracking error, m/s.

    ``mean_t || v_body[t, :2] - command[t, :2] ||`` (body-frame vx, vy vs commanded vx, vy).
    """
    error = rollout.base_lin_vel_body[:, :2] - rollout.command[:, :2]
    return float(np.mean(np.linalg.norm(error, axis=1)))


def tracking_error_yaw_radps(rollout: Rollout) -> float:
    """Time-averaged yaw-rate tracking error ``mean_t |omega_body_z - command_yaw_rate|``, rad/s."""
    return float(np.mean(np.abs(rollout.base_ang_vel_body[:, 2] - rollout.command[:, 2])))


def mechanical_energy_j(rollout: Rollout) -> float:
    """Absolute joint mechanical work ``sum_{t=0}^{T-2} sum_j |tau * qdot| * dt_s``, J.

    The last sample is excluded so the energy covers exactly the time between the first
    and last base positions, the same window as :func:`distance_m` (its power would act
    after the final recorded position). 0 if T == 1.
    """
    power_w = np.abs(rollout.joint_torques[:-1] * rollout.joint_velocities[:-1]).sum(axis=1)
    return float(power_w.sum() * rollout.dt_s)


def cost_of_transport(rollout: Rollout) -> float:
    """Mechanical cost of transport ``E / (m * g * d)``, dimensionless.

    ``E`` is :func:`mechanical_energy_j`, ``m`` the total mass, ``g = 9.81 m/s^2`` and ``d``
    the xy *displacement* :func:`distance_m` (not path length, so walking in place or in a
    circle costs a lot). NaN if ``d < 1e-3 m``, where the ratio is meaningless.
    """
    d = distance_m(rollout)
    if d < MIN_COT_DISTANCE_M:
        return math.nan
    return mechanical_energy_j(rollout) / (rollout.total_mass_kg * GRAVITY_MPS2 * d)


def froude_number(rollout: Rollout) -> float:
    """Froude number ``v^2 / (g * h_hip)``, dimensionless; ``v`` = mean forward speed."""
    return mean_forward_speed_mps(rollout) ** 2 / (GRAVITY_MPS2 * rollout.hip_height_m)


def stride_length_m(rollout: Rollout) -> float:
    """Stride length ``mean_forward_speed / stride_frequency``, m (negative walking backwards).

    NaN if the stride frequency is not measurable (see :func:`stride_frequency_hz`).
    """
    freq = stride_frequency_hz(rollout.foot_contacts, rollout.time_s)
    return mean_forward_speed_mps(rollout) / freq if math.isfinite(freq) else math.nan


def swing_clearance_m(rollout: Rollout) -> float:
    """Mean swing-foot clearance, m.

    A swing phase is a contiguous run of no-contact samples of one foot that is preceded
    *and* followed by contact (so lift-off and touch-down are both observed; swings cut
    off by the start or end of the recording are skipped). Its clearance is the maximum
    foot z during the swing minus the foot z at lift-off (the last stance sample). The
    result is the mean over all swings of all feet; NaN if there are none.
    """
    clearances: list[float] = []
    for leg in range(4):
        in_contact = rollout.foot_contacts[:, leg]
        z = rollout.foot_positions_world[:, leg, 2]
        lift_offs = np.flatnonzero(in_contact[:-1] & ~in_contact[1:])  # last stance sample
        touch_downs = np.flatnonzero(~in_contact[:-1] & in_contact[1:]) + 1  # first stance
        for lift_off in lift_offs:
            later = touch_downs[touch_downs > lift_off]
            if later.size == 0:
                break
            clearances.append(float(z[lift_off + 1:later[0]].max() - z[lift_off]))
    return float(np.mean(clearances)) if clearances else math.nan


def foot_slip_mps(rollout: Rollout) -> float:
    """Mean horizontal foot speed during stance, m/s.

    For every foot and every pair of consecutive samples where that foot is in contact in
    both, the xy speed is ``||p_xy[t] - p_xy[t-1]|| / (time_s[t] - time_s[t-1])``; the
    result is the mean over all such pairs of all feet (0 for planted feet). NaN if no
    foot is ever in contact for two consecutive samples.
    """
    if rollout.num_steps < 2:
        return math.nan
    both_in_contact = rollout.foot_contacts[1:] & rollout.foot_contacts[:-1]  # (T-1, 4)
    step_xy = np.diff(rollout.foot_positions_world[:, :, :2], axis=0)  # (T-1, 4, 2)
    speed = np.linalg.norm(step_xy, axis=2) / np.diff(rollout.time_s)[:, None]
    return _mean_or_nan(speed[both_in_contact])


def roll_rms_rad(rollout: Rollout) -> float:
    """Root-mean-square base roll angle, rad."""
    return float(np.sqrt(np.mean(rollout.base_rpy[:, 0] ** 2)))


def pitch_rms_rad(rollout: Rollout) -> float:
    """Root-mean-square base pitch angle, rad."""
    return float(np.sqrt(np.mean(rollout.base_rpy[:, 1] ** 2)))


def action_smoothness(rollout: Rollout) -> float:
    """Mean squared action change ``mean_{t>=1} ||a_t - a_{t-1}||^2`` (sum over the 12
    joints, action units squared; lower is smoother). NaN if T < 2."""
    return _mean_or_nan(np.sum(np.diff(rollout.actions, axis=0) ** 2, axis=1))


def duration_s(rollout: Rollout) -> float:
    """Covered time ``time_s[-1] - time_s[0] + dt_s``, s (each sample spans one control period)."""
    return float(rollout.time_s[-1] - rollout.time_s[0] + rollout.dt_s)


def time_to_fall_s(rollout: Rollout) -> float:
    """``fall_time_s`` if the robot fell, else NaN (also NaN if it fell at an unknown time)."""
    if rollout.fell and rollout.fall_time_s is not None:
        return float(rollout.fall_time_s)
    return math.nan


def heading_drift_deg(rollout: Rollout) -> float:
    """Absolute yaw change first-to-last sample, deg in [0, 180].

    The difference ``yaw[-1] - yaw[0]`` is wrapped to (-pi, pi] first, so 179 deg -> -179 deg
    is a 2 deg drift. Full turns are not counted.
    """
    delta = float(rollout.base_rpy[-1, 2] - rollout.base_rpy[0, 2])
    wrapped = math.pi - ((math.pi - delta) % (2.0 * math.pi))  # in (-pi, pi]
    return math.degrees(abs(wrapped))


def heading_change_deg(rollout: Rollout) -> float:
    """Signed total yaw change first-to-last sample, deg, counting full turns (yaw unwrapped); + = turned left."""
    yaw = np.unwrap(rollout.base_rpy[:, 2])
    return math.degrees(float(yaw[-1] - yaw[0]))


def mean_yaw_rate_radps(rollout: Rollout) -> float:
    """Mean body yaw rate (base_ang_vel_body z), rad/s; + = turning left."""
    return float(np.mean(rollout.base_ang_vel_body[:, 2]))


def summarize(rollout: Rollout, gait_window_start_s: float = 0.0,
              contact_debounce_s: float = 0.05) -> dict[str, float | str | bool | list[float]]:
    """All metrics in one dict of plain Python values (JSON-friendly, NaN where undefined).

    Per-foot lists are ordered FR, FL, RR, RL; phase offsets are in cycles relative to FR. The contact-phase
    metrics (duty factor, stride, phase offsets, gait class) use only samples at or after
    ``gait_window_start_s`` (s since reset), so a start-up transient does not blur them; if fewer than two
    samples remain, the whole rollout is used. Contacts are debounced first (:func:`debounce_contacts`,
    ``contact_debounce_s``; 0 disables it) so landing bounces do not count as steps.
    """
    window = rollout.time_s >= gait_window_start_s
    if window.sum() < 2:
        window = np.ones_like(window)
    times = rollout.time_s[window]
    contacts = debounce_contacts(rollout.foot_contacts[window], times, contact_debounce_s)
    duty = duty_factors(contacts)
    period = stride_period_s(contacts, times)
    frequency = 1.0 / period if math.isfinite(period) and period > 0 else math.nan
    speed = mean_forward_speed_mps(rollout)
    return {
        "duration_s": duration_s(rollout),
        "fell": rollout.fell,
        "time_to_fall_s": time_to_fall_s(rollout),
        "mean_forward_speed_mps": speed,
        "distance_m": distance_m(rollout),
        "forward_distance_m": forward_distance_m(rollout),
        "tracking_error_xy_mps": tracking_error_xy_mps(rollout),
        "tracking_error_yaw_radps": tracking_error_yaw_radps(rollout),
        "path_error_m": path_error_m(rollout),
        "mechanical_energy_j": mechanical_energy_j(rollout),
        "cost_of_transport": cost_of_transport(rollout),
        "froude_number": froude_number(rollout),
        "duty_factor_per_foot": [float(x) for x in duty],
        "duty_factor_mean": float(np.mean(duty)),
        # From the same contacts as the duty factor: share of the window with no foot on the ground.
        "aerial_fraction": aerial_fraction(contacts),
        "stride_period_s": period,
        "stride_frequency_hz": frequency,
        # From the same (windowed, debounced) contacts as the stride frequency.
        "stride_length_m": speed / frequency if math.isfinite(frequency) else math.nan,
        "phase_offsets_cycles": [float(x) for x in phase_offsets(contacts, times, period)],
        "gait": classify_gait(contacts, times),
        "swing_clearance_m": swing_clearance_m(rollout),
        "foot_slip_mps": foot_slip_mps(rollout),
        "roll_rms_rad": roll_rms_rad(rollout),
        "pitch_rms_rad": pitch_rms_rad(rollout),
        "action_smoothness": action_smoothness(rollout),
        "heading_drift_deg": heading_drift_deg(rollout),
        "heading_change_deg": heading_change_deg(rollout),
        "mean_yaw_rate_radps": mean_yaw_rate_radps(rollout),
        "gait_window_start_s": float(times[0]),
    }
