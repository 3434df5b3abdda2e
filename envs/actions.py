"""Action maps: what an action means. Each turns a validated action (in [-1, 1]) into motor commands and advances
the simulation by one control step.

* :class:`JointTargets` (``"joint_targets"``): joint position targets around the standing pose (``"pd"`` motor
  mode), or joint torques (``"torque"`` mode).
* :class:`TrotResidual` (``"trot_residual"``, PMTG-style): the scripted trot runs underneath, steered by the
  task's command; the action adds joint corrections and modulates the trot's stride frequency and step length.
* :class:`CPG` (``"cpg"``): one Hopf oscillator per leg; the action sets each oscillator's frequency and amplitude;
  the oscillator phase and amplitude drive the foot trajectory generator and inverse kinematics (after Bellegarda
  & Ijspeert, "CPG-RL", 2022).

* :class:`ModelBasedPrior` (``"model_based"``): the model-based trot (:mod:`envs.gaits.model_based`, a stance-force
  QP and Raibert swing legs) runs at the physics rate underneath and follows the task's command; the action
  corrects the command it is given (and so the body velocity the controller aims for).

The gait-prior maps add the gait phase to the observation. A new action space is one class with the same methods
(``Settings``, ``labels``, ``observation_features``, ``reset``, ``features``, ``apply``) and one line in
:data:`envs.registry.ACTIONS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from envs.config import check_choice, check_range
from envs.engine import Engine
from envs.gaits import get_gait
from envs.gaits.controller import CommandRateLimiter, GaitController
from envs.robots import JOINT_LABELS, LEG_NAMES
from envs.robots.description import RobotDescription
from envs.sim import MOTOR_CONTROL_MODES
from envs.state import RobotState
from envs.tasks.common import Feature


class ActionMap:
    """Base of the action maps (see the module docstring); the default has no observation features."""

    Settings: ClassVar[type]
    #: Names of the action entries; their count is the action size.
    labels: tuple[str, ...]

    def __init__(self, settings: Any, robot: RobotDescription, control_dt_s: float, substeps: int) -> None:
        self.settings, self.robot = settings, robot
        self.control_dt_s, self.substeps = control_dt_s, substeps

    def observation_features(self) -> tuple[Feature, ...]:
        return ()

    def reset(self) -> None:
        """Reset whatever the map keeps between steps (e.g. a gait phase)."""

    def features(self) -> np.ndarray | None:
        return None

    def apply(self, sim: Engine, action: np.ndarray, state: RobotState, command: np.ndarray) -> None:
        """Advance ``sim`` by one control step under ``action``; ``state`` is the state before the step and
        ``command`` the task's command (vx m/s, vy m/s, yaw rate rad/s)."""
        raise NotImplementedError


@dataclass(frozen=True)
class JointTargetSettings:
    """Attributes:
        motor_control: ``"pd"`` (action → joint position targets) or ``"torque"`` (action → joint torques).
        action_scale: rad of joint-target offset from the standing pose per unit of action (``"pd"`` mode).
    """

    motor_control: str = "pd"
    action_scale: float = 0.6

    def __post_init__(self) -> None:
        check_choice(self, "motor_control", MOTOR_CONTROL_MODES)
        check_range(self, "action_scale", 0.0, 3.0, low_inclusive=False)


class JointTargets(ActionMap):
    """Action (12,): ``"pd"`` joint targets ``standing_pose + action_scale · a`` (rad, clipped to the joint limits);
    ``"torque"`` joint torques ``a · torque_limits`` (N·m)."""

    Settings = JointTargetSettings
    labels = JOINT_LABELS

    def __init__(self, settings: JointTargetSettings, robot, control_dt_s: float, substeps: int) -> None:
        super().__init__(settings, robot, control_dt_s, substeps)
        self._standing = robot.standing_angles

    def apply(self, sim, action, state, command) -> None:
        if self.settings.motor_control == "pd":
            sim.step_position(self._standing + self.settings.action_scale * action, self.substeps)
        else:
            sim.step_torque(action * self.robot.torque_limit_array, self.substeps)


@dataclass(frozen=True)
class NoSettings:
    """This action map has no settings."""


class _GaitPrior(ActionMap):
    """Shared plumbing: a trot :class:`GaitController` for trajectories and IK; phase features in the observation."""

    Settings = NoSettings
    #: Seconds over which the gait's stride and swing grow from zero after reset.
    RAMP_S = 1.0

    def __init__(self, settings, robot, control_dt_s: float, substeps: int) -> None:
        super().__init__(settings, robot, control_dt_s, substeps)
        # action_scale only converts targets to actions, which the priors never do.
        self.gait = GaitController(robot, get_gait("trot"), action_scale=1.0, ramp_s=self.RAMP_S)
        self._offsets = np.array(self.gait.spec.phase_offsets)
        self.limiter = CommandRateLimiter()

    def reset(self) -> None:
        self.limiter.reset()

    def observation_features(self) -> tuple[Feature, ...]:
        return (("leg_phase_sin", 4, 1.0), ("leg_phase_cos", 4, 1.0))

    def leg_phases(self) -> np.ndarray:
        raise NotImplementedError

    def features(self) -> np.ndarray:
        angle = 2 * np.pi * self.leg_phases()
        return np.concatenate([np.sin(angle), np.cos(angle)])

    @staticmethod
    def _roll_pitch(state: RobotState) -> tuple[float, float]:
        return float(state.base_rpy[0]), float(state.base_rpy[1])


class TrotResidual(_GaitPrior):
    """The scripted trot plus learned corrections.

    Action (14,) in [-1, 1]: ``a[:12]`` joint corrections, ``RESIDUAL_SCALE_RAD`` rad each, added to the trot's
    joint targets; ``a[12]`` modulates the stride frequency ``f = f_trot · (1 + FREQUENCY_RANGE · a[12])``;
    ``a[13]`` modulates the step length through the planar speed given to the foot trajectory generator,
    ``(vx, vy)_gait = (vx, vy)_command · (1 + a[13])`` (the yaw-rate command passes through). With a zero action
    the env runs the scripted trot following the task's command (rate-limited, see
    :class:`~envs.gaits.controller.CommandRateLimiter`; without the scripted trot's heading feedback).
    """

    RESIDUAL_SCALE_RAD = 0.2
    FREQUENCY_RANGE = 0.5
    labels = (*JOINT_LABELS, "stride_frequency", "step_length")

    def reset(self) -> None:
        super().reset()
        self._phase = 0.0

    def leg_phases(self) -> np.ndarray:
        return (self._phase + self._offsets) % 1.0

    def apply(self, sim, action, state, command) -> None:
        a = action
        frequency = self.gait.spec.stride_frequency_hz * (1.0 + self.FREQUENCY_RANGE * a[12])
        command = self.limiter(command, self.control_dt_s)
        gait_command = np.array([command[0] * (1.0 + a[13]), command[1] * (1.0 + a[13]), command[2]])
        targets = self.gait.targets_for_phases(self.leg_phases(), gait_command, self._roll_pitch(state),
                                               self.gait.ramp(sim.time_s))
        targets = targets + self.RESIDUAL_SCALE_RAD * a[:12]
        sim.step_position(targets, self.substeps)
        self._phase = (self._phase + frequency * self.control_dt_s) % 1.0


class CPG(_GaitPrior):
    """Per-leg Hopf oscillators, coupled towards trot phase offsets, drive the feet.

    Oscillator i has amplitude r_i and phase θ_i (rad):
    ``r̈ = α (α/4 (μ_i − r_i) − ṙ_i)``, ``θ̇_i = 2π f_i + Σ_j w r_j sin(θ_j − θ_i − 2π (φ_j − φ_i))``
    with α = 50 /s, coupling w = 2 /s and φ the trot's phase offsets. Action (8,) in [-1, 1]:
    ``f_i = F_MIN + (a_i + 1)/2 · (F_MAX − F_MIN)`` Hz for the four legs (FR, FL, RR, RL), then
    ``μ_i = (a_{4+i} + 1)/2``. Leg i's foot follows the trot's foot trajectory at phase ``θ_i / 2π`` with its
    stride scaled by ``r_i`` (``r = 1`` gives the stride of twice the command). Observation features: sin, cos of
    each phase and ``2 r_i − 1``.
    """

    F_MIN_HZ, F_MAX_HZ = 0.5, 4.0
    ALPHA, COUPLING = 50.0, 2.0
    INTEGRATION_STEPS = 10
    labels = (*(f"{leg}_frequency" for leg in LEG_NAMES), *(f"{leg}_amplitude" for leg in LEG_NAMES))

    def observation_features(self) -> tuple[Feature, ...]:
        return (*super().observation_features(), ("oscillator_amplitude", 4, 1.0))

    def reset(self) -> None:
        super().reset()
        self._theta = 2 * np.pi * self._offsets.copy()
        self._r = np.zeros(4)
        self._r_dot = np.zeros(4)

    def leg_phases(self) -> np.ndarray:
        return (self._theta / (2 * np.pi)) % 1.0

    def features(self) -> np.ndarray:
        return np.concatenate([super().features(), 2.0 * self._r - 1.0])

    def apply(self, sim, action, state, command) -> None:
        frequency = self.F_MIN_HZ + (action[:4] + 1.0) / 2.0 * (self.F_MAX_HZ - self.F_MIN_HZ)
        mu = (action[4:] + 1.0) / 2.0
        self._integrate(frequency, mu, self.control_dt_s)
        command = self.limiter(command, self.control_dt_s)
        targets = self.gait.targets_for_phases(self.leg_phases(), 2.0 * command,
                                               self._roll_pitch(state), self.gait.ramp(sim.time_s),
                                               stride_scale=np.clip(self._r, 0.0, 1.5))
        sim.step_position(targets, self.substeps)

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


@dataclass(frozen=True)
class ModelBasedPriorSettings:
    """Attributes:
        gait: the model-based preset running underneath (``envs.gaits.model_based_presets``).
        stand_s, ramp_s: the controller stands this long after reset, then ramps its gait in over ``ramp_s``
            (:class:`~envs.gaits.model_based.ModelBasedSettings`).
        turn_feedforward: the controller's centripetal feed-forward
            (:class:`~envs.gaits.body_feedback.BodyFeedbackGains`).
        vx_offset_mps, vy_offset_mps, yaw_rate_offset_radps: the command correction at action ±1.
    """

    gait: str = "trot"
    stand_s: float = 0.2
    ramp_s: float = 0.5
    turn_feedforward: bool = True
    vx_offset_mps: float = 0.3
    vy_offset_mps: float = 0.2
    yaw_rate_offset_radps: float = 0.4

    def __post_init__(self) -> None:
        from envs.gaits.model_based_presets import MODEL_BASED_GAITS

        check_choice(self, "gait", tuple(MODEL_BASED_GAITS))
        for name in ("vx_offset_mps", "vy_offset_mps", "yaw_rate_offset_radps"):
            check_range(self, name, 0.0, 2.0)
        check_range(self, "stand_s", 0.0, 5.0)
        check_range(self, "ramp_s", 0.0, 5.0)


class ModelBasedPrior(ActionMap):
    """The model-based controller underneath, learned command corrections on top.

    Each physics step (the controller's rate) the model-based gait computes joint torques for the command
    ``(vx, vy, yaw rate)_task + offsets · a``; the action (3,) in [-1, 1] sets the offsets (see
    :class:`ModelBasedPriorSettings`). With a zero action the env runs ``mpc-<gait>`` on the task's command. The
    observation gains the controller's leg phases (sin, cos; zero while it stands before the gait starts).
    Needs ``motor_control="torque"`` semantics only inside the map: the torques go straight to the motor model.
    """

    Settings = ModelBasedPriorSettings
    labels = ("vx_offset", "vy_offset", "yaw_rate_offset")

    def __init__(self, settings: ModelBasedPriorSettings, robot, control_dt_s: float, substeps: int) -> None:
        super().__init__(settings, robot, control_dt_s, substeps)
        from envs.gaits.body_feedback import BodyFeedbackGains
        from envs.gaits.model_based import ModelBasedSettings, make_model_based_controller

        self.controller = make_model_based_controller(
            robot, settings.gait, control_dt_s / substeps,
            settings=ModelBasedSettings(stand_s=settings.stand_s, ramp_s=settings.ramp_s,
                                        feedback=BodyFeedbackGains(turn_feedforward=settings.turn_feedforward)))
        self._scale = np.array([settings.vx_offset_mps, settings.vy_offset_mps, settings.yaw_rate_offset_radps])
        self._tau_max = robot.torque_limit_array
        self._time_s = 0.0

    def observation_features(self) -> tuple[Feature, ...]:
        return (("leg_phase_sin", 4, 1.0), ("leg_phase_cos", 4, 1.0))

    def reset(self) -> None:
        self.controller.reset()
        self._time_s = 0.0

    def leg_phases(self, time_s: float) -> np.ndarray:
        gait_t = time_s - self.controller.settings.stand_s
        return self.controller.plan.leg_phases(gait_t) if gait_t >= 0.0 else np.zeros(4)

    def features(self) -> np.ndarray:
        angle = 2 * np.pi * self.leg_phases(self._time_s)
        return np.concatenate([np.sin(angle), np.cos(angle)])

    def apply(self, sim, action, state, command) -> None:
        target = np.asarray(command, dtype=float) + self._scale * action
        for k in range(self.substeps):
            if k:
                state = sim.state()
            tau = self.controller.act(None, state, sim.time_s, target)
            sim.step_torque(tau * self._tau_max, 1)
        self._time_s = sim.time_s
