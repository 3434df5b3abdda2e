"""Feed-forward normal forces of a gait and the body motion they imply (pure numpy).

A periodic gait must give the body, over each stride, a vertical impulse equal to its weight times the stride
period (m·g·T), and no net pitch or roll impulse. The plan shares that impulse between the legs and spreads each
leg's share over its stance with a fixed profile::

    f_i(t) = share_i · m·g / D · shape(s_i),     s_i = leg phase / D ∈ [0, 1) in stance, 0 in swing,

with D the duty factor and ``shape`` a Tukey window normalised to unit mean (taper 1 is a sin² bump, taper → 0
a flat top). ``share_i`` is the static load share of each foot (the minimum-norm shares whose moments about the
centre of mass cancel), so ``Σ_i ∫ f_i dt = m·g·T`` and the pitch and roll impulses cancel.

When stance phases leave gaps (bound, pronk, gallop), the plan asks for more than the weight during stance and the
body flies between stances: that is how a per-step QP gets aerial phases without a prediction horizon. The
vertical acceleration and the roll and pitch accelerations these forces cause (at the nominal foot positions),
integrated twice with zero mean, give periodic reference trajectories of height, roll and pitch; the controller's
feedback acts around them instead of fighting the hops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from envs.robots.description import GRAVITY_MPS2

#: Samples per stride of the precomputed reference trajectories.
PLAN_SAMPLES = 256


def stance_profile(s: np.ndarray, taper: float) -> np.ndarray:
    """Unit-mean Tukey window on [0, 1): cosine ramps over ``taper / 2`` at each end, flat between; 0 outside."""
    s = np.asarray(s, dtype=float)
    ramp = taper / 2.0
    rise = 0.5 * (1.0 - np.cos(np.pi * np.minimum(s, 1.0 - s) / ramp))
    window = np.where(np.minimum(s, 1.0 - s) < ramp, rise, 1.0)
    window = np.where((s >= 0.0) & (s < 1.0), window, 0.0)
    return window / (1.0 - ramp)


def static_load_shares(feet_rel_com_xy: np.ndarray) -> np.ndarray:
    """Minimum-norm shares s (4,), Σ s = 1, whose moments about the centre of mass cancel: Σ s_i·(x_i, y_i) = 0.

    ``feet_rel_com_xy``: (4, 2) nominal foot positions relative to the centre of mass, m.
    """
    a = np.vstack([np.ones(4), np.asarray(feet_rel_com_xy, dtype=float).T])
    b = np.array([1.0, 0.0, 0.0])
    base = np.full(4, 0.25)
    return base + a.T @ np.linalg.solve(a @ a.T, b - a @ base)


@dataclass(frozen=True)
class PlanReference:
    """Reference body motion at one instant of the stride (offsets from the nominal, level, steady body).

    Attributes:
        height_m, vertical_velocity_mps, vertical_acceleration_mps2: centre-of-mass height offset and its rates.
        roll_pitch_rad, roll_pitch_rate_radps, roll_pitch_acceleration_radps2: (2,) roll and pitch and their rates.
    """

    height_m: float
    vertical_velocity_mps: float
    vertical_acceleration_mps2: float
    roll_pitch_rad: np.ndarray
    roll_pitch_rate_radps: np.ndarray
    roll_pitch_acceleration_radps2: np.ndarray


class ForcePlan:
    """Planned normal forces of a gait and the periodic reference motion they imply (see the module docstring).

    Args:
        stride_frequency_hz, duty_factor, phase_offsets: the gait's timing (see :class:`~envs.gaits.spec.GaitSpec`).
        taper: Tukey taper of each stance's force profile, in (0, 1].
        mass_kg: body mass, kg.
        inertia_body_kgm2: (3, 3) inertia about the centre of mass, body axes, kg·m².
        feet_rel_com_body: (4, 3) nominal foot positions relative to the centre of mass, body frame, m.
    """

    def __init__(self, stride_frequency_hz: float, duty_factor: float, phase_offsets: Sequence[float] | np.ndarray,
                 taper: float, mass_kg: float, inertia_body_kgm2: np.ndarray, feet_rel_com_body: np.ndarray) -> None:
        if not 0.0 < taper <= 1.0:
            raise ValueError(f"taper must be in (0, 1], got {taper!r}")
        self.frequency_hz = float(stride_frequency_hz)
        self.duty_factor = float(duty_factor)
        self.offsets = np.asarray(phase_offsets, dtype=float)
        self.taper = float(taper)
        feet = np.asarray(feet_rel_com_body, dtype=float)
        self.shares = static_load_shares(feet[:, :2])
        self.peak_scale_n = self.shares * mass_kg * GRAVITY_MPS2 / self.duty_factor  # N per unit profile

        phases = np.arange(PLAN_SAMPLES) / PLAN_SAMPLES
        forces = self.leg_forces(phases[:, None] - self.offsets[None, :])  # (N, 4)
        accel_z = forces.sum(axis=1) / mass_kg - GRAVITY_MPS2
        torque = np.stack([forces @ feet[:, 1], -(forces @ feet[:, 0]), np.zeros(PLAN_SAMPLES)], axis=1)
        accel_rot = np.linalg.solve(np.asarray(inertia_body_kgm2, dtype=float), torque.T).T[:, :2]
        signals = np.column_stack([accel_z, accel_rot])  # (N, 3): z, roll, pitch accelerations
        self._acc = signals - signals.mean(axis=0)
        self._vel, self._pos = self._periodic_integrals(self._acc)

    def _periodic_integrals(self, acc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Zero-mean periodic first and second time integrals of periodic samples (spectral integration)."""
        spectrum = np.fft.rfft(acc, axis=0)
        omega = 2.0 * np.pi * self.frequency_hz * np.arange(spectrum.shape[0])
        omega[0] = 1.0
        vel = spectrum / (1j * omega[:, None])
        pos = vel / (1j * omega[:, None])
        vel[0] = pos[0] = 0.0
        return np.fft.irfft(vel, n=acc.shape[0], axis=0), np.fft.irfft(pos, n=acc.shape[0], axis=0)

    def leg_phases(self, time_s: float) -> np.ndarray:
        """Phase of each leg at gait time ``time_s`` (s), cycles in [0, 1); stance while phase < duty factor.

        ``(t·f − offset_i) mod 1``: leg i touches down at ``offset_i`` cycles into each stride, as
        :class:`~envs.gaits.spec.GaitSpec` documents its phase offsets (so measured footfall offsets relative to FR
        equal the spec's).
        """
        return (time_s * self.frequency_hz - self.offsets) % 1.0

    def leg_forces(self, leg_phases: np.ndarray, duty_factor: float | None = None) -> np.ndarray:
        """Planned normal force of each leg (N) for leg phases in cycles (any shape ending in 4).

        ``duty_factor`` overrides the gait's (the controller eases into a gait from standing by shrinking the duty
        factor from 1); each leg still delivers its share of m·g·T per stride.
        """
        duty = self.duty_factor if duty_factor is None else duty_factor
        s = (np.asarray(leg_phases) % 1.0) / duty
        return (self.peak_scale_n * (self.duty_factor / duty)) * stance_profile(s, self.taper)

    def reference(self, time_s: float) -> PlanReference:
        """Reference motion at gait time ``time_s`` (s), from the precomputed stride (nearest sample)."""
        k = int((time_s * self.frequency_hz % 1.0) * PLAN_SAMPLES) % PLAN_SAMPLES
        pos, vel, acc = self._pos[k], self._vel[k], self._acc[k]
        return PlanReference(float(pos[0]), float(vel[0]), float(acc[0]), pos[1:].copy(), vel[1:].copy(),
                             acc[1:].copy())
