"""Action spaces with a gait prior, which make learning cheap: a residual on the scripted trot, and CPGs.

Both keep the walk task (observation, reward terms, termination) of :class:`~envs.walk_env.LaikagoWalkEnv` and
change only what an action means; both append the gait phase to the observation.

* ``quadgait/LaikagoTrotResidual-v0`` (:class:`TrotResidualEnv`, PMTG-style): the scripted trot runs underneath;
  the action adds joint corrections and modulates the trot's stride frequency and step length.
* ``quadgait/LaikagoCPG-v0`` (:class:`CPGEnv`): one Hopf oscillator per leg; the action sets each oscillator's
  frequency and amplitude; the oscillator phase and amplitude drive the foot trajectory generator and inverse
  kinematics (after Bellegarda & Ijspeert, "CPG-RL", 2022).
"""

from __future__ import annotations

import numpy as np

from envs.gaits import get_gait
from envs.gaits.controller import GaitController
from envs.robots import LEG_NAMES
from envs.walk_env import LaikagoWalkEnv


class _GaitPriorEnv(LaikagoWalkEnv):
    """Shared plumbing: a trot :class:`GaitController` for trajectories and IK, phase features in the observation."""

    #: Seconds over which the gait's stride and swing grow from zero after reset.
    RAMP_S = 1.0

    def __init__(self, render_mode: str | None = None, **settings) -> None:
        super().__init__(render_mode, **settings)
        if self.settings.motor_control != "pd":
            raise ValueError(f"{type(self).__name__} needs motor_control='pd'")
        self.gait = GaitController(self.robot, get_gait("trot"), self.settings.action_scale, ramp_s=self.RAMP_S)
        self._offsets = np.array(self.gait.spec.phase_offsets)

    def _observation_extras(self) -> tuple[tuple[str, int], ...]:
        return (("leg_phase_sin", 4), ("leg_phase_cos", 4))

    def _leg_phases(self) -> np.ndarray:
        raise NotImplementedError

    def _extra_features(self) -> np.ndarray:
        angle = 2 * np.pi * self._leg_phases()
        return np.concatenate([np.sin(angle), np.cos(angle)])

    def _roll_pitch(self) -> tuple[float, float]:
        rpy = self.robot_state.base_rpy
        return float(rpy[0]), float(rpy[1])

    def _ramp(self) -> float:
        return self.gait.ramp(self.sim.time_s)


class TrotResidualEnv(_GaitPriorEnv):
    """The scripted trot plus learned corrections.

    Action (14,) in [-1, 1]: ``a[:12]`` joint corrections, ``RESIDUAL_SCALE_RAD`` rad each, added to the trot's
    joint targets; ``a[12]`` modulates the stride frequency ``f = f_trot · (1 + FREQUENCY_RANGE · a[12])``;
    ``a[13]`` modulates the step length through the speed command given to the foot trajectory generator,
    ``v_gait = target_speed · (1 + a[13])``. With a zero action the env runs the scripted trot (without its heading
    feedback). Observation: the walk observation (with a 14-entry last action) plus sin and cos of each leg's phase.
    """

    RESIDUAL_SCALE_RAD = 0.2
    FREQUENCY_RANGE = 0.5

    def _action_labels(self) -> tuple[str, ...]:
        return (*super()._action_labels(), "stride_frequency", "step_length")

    def _reset_action_state(self) -> None:
        self._phase = 0.0

    def _leg_phases(self) -> np.ndarray:
        return (self._phase + self._offsets) % 1.0

    def _apply_action(self, a: np.ndarray) -> None:
        frequency = self.gait.spec.stride_frequency_hz * (1.0 + self.FREQUENCY_RANGE * a[12])
        command = np.array([self.settings.target_speed_mps * (1.0 + a[13]), 0.0, 0.0])
        targets = self.gait.targets_for_phases(self._leg_phases(), command, self._roll_pitch(), self._ramp())
        targets = targets + self.RESIDUAL_SCALE_RAD * a[:12]
        self.sim.step_position(targets, self.settings.substeps)
        self._phase = (self._phase + frequency * self.control_dt_s) % 1.0


class CPGEnv(_GaitPriorEnv):
    """Per-leg Hopf oscillators, coupled towards trot phase offsets, drive the feet.

    Oscillator i has amplitude r_i and phase θ_i (rad):
    ``r̈ = α (α/4 (μ_i − r_i) − ṙ_i)``, ``θ̇_i = 2π f_i + Σ_j w r_j sin(θ_j − θ_i − 2π (φ_j − φ_i))``
    with α = 50 /s, coupling w = 2 /s and φ the trot's phase offsets. Action (8,) in [-1, 1]:
    ``f_i = F_MIN + (a_i + 1)/2 · (F_MAX − F_MIN)`` Hz for the four legs (FR, FL, RR, RL), then
    ``μ_i = (a_{4+i} + 1)/2``. Leg i's foot follows the trot's foot trajectory at phase ``θ_i / 2π`` with its
    stride scaled by ``r_i`` (``r = 1`` gives the stride of ``2 · target_speed``). Observation: the walk
    observation (8-entry last action) plus sin, cos of each phase and ``2 r_i − 1``.
    """

    F_MIN_HZ, F_MAX_HZ = 0.5, 4.0
    ALPHA, COUPLING = 50.0, 2.0
    INTEGRATION_STEPS = 10

    def _action_labels(self) -> tuple[str, ...]:
        return (*(f"{leg}_frequency" for leg in LEG_NAMES), *(f"{leg}_amplitude" for leg in LEG_NAMES))

    def _observation_extras(self) -> tuple[tuple[str, int], ...]:
        return (*super()._observation_extras(), ("oscillator_amplitude", 4))

    def _reset_action_state(self) -> None:
        self._theta = 2 * np.pi * self._offsets.copy()
        self._r = np.zeros(4)
        self._r_dot = np.zeros(4)

    def _leg_phases(self) -> np.ndarray:
        return (self._theta / (2 * np.pi)) % 1.0

    def _extra_features(self) -> np.ndarray:
        return np.concatenate([super()._extra_features(), 2.0 * self._r - 1.0])

    def _apply_action(self, a: np.ndarray) -> None:
        frequency = self.F_MIN_HZ + (a[:4] + 1.0) / 2.0 * (self.F_MAX_HZ - self.F_MIN_HZ)
        mu = (a[4:] + 1.0) / 2.0
        self._integrate(frequency, mu, self.control_dt_s)
        command = np.array([2.0 * self.settings.target_speed_mps, 0.0, 0.0])
        targets = self.gait.targets_for_phases(self._leg_phases(), command, self._roll_pitch(), self._ramp(),
                                               stride_scale=np.clip(self._r, 0.0, 1.5))
        self.sim.step_position(targets, self.settings.substeps)

    def _integrate(self, frequency: np.ndarray, mu: np.ndarray, dt: float) -> None:
        h = dt / self.INTEGRATION_STEPS
        target_gap = 2 * np.pi * (self._offsets[None, :] - self._offsets[:, None])  # [i, j] = 2π(φ_j − φ_i)
        for _ in range(self.INTEGRATION_STEPS):
            r_ddot = self.ALPHA * (self.ALPHA / 4.0 * (mu - self._r) - self._r_dot)
            gap = self._theta[None, :] - self._theta[:, None] - target_gap
            theta_dot = 2 * np.pi * frequency + self.COUPLING * (self._r[None, :] * np.sin(gap)).sum(axis=1)
            self._r_dot = self._r_dot + h * r_ddot
            self._r = self._r + h * self._r_dot
            self._theta = self._theta + h * theta_dot
