"""Controllers: anything that maps (observation, robot state, time, command) to an env action.

Scripted gaits and learned policies implement the same :class:`Controller` protocol, so rollouts, evaluation and
the benchmark treat them alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from envs.gaits.kinematics import inverse_kinematics, standing_hip_to_foot_m
from envs.gaits.scaling import scale_gait
from envs.gaits.spec import GaitSpec
from envs.gaits.trajectory import FootTrajectoryGenerator, leg_phases, stance_mask
from envs.robots.description import RobotDescription
from envs.state import RobotState


@runtime_checkable
class Controller(Protocol):
    """Maps what the robot senses to an action of the env it runs in.

    ``act`` receives the env observation (float32 vector), the robot state (named quantities, see
    :class:`~envs.state.RobotState`), the time since reset (s) and the command ``(vx m/s, vy m/s, yaw_rate rad/s)``
    in the body frame, and returns an action of the env's action space (float32, shape (12,), in [-1, 1]).
    """

    name: str

    def reset(self) -> None:
        """Called at the start of each episode."""

    def act(self, observation: np.ndarray, state: RobotState, time_s: float, command: np.ndarray) -> np.ndarray:
        ...


class CommandRateLimiter:
    """Limits how fast a gait's command may change (a setpoint ramp, as a real controller has).

    The foot trajectories are a function of the command, so a step in the command moves every stance foot's target
    at once and the feet slip; limited to ``max_rate`` ((m/s)/s, (m/s)/s, (rad/s)/s) a switch from 0.5 m/s forward
    to 0.3 m/s backward takes 0.8 s. The first command after :meth:`reset` passes unchanged, so a constant command
    is never altered.
    """

    def __init__(self, max_rate: tuple[float, float, float] = (1.0, 1.0, 2.0)) -> None:
        self.max_rate = np.asarray(max_rate, dtype=float)
        self._value: np.ndarray | None = None

    def reset(self) -> None:
        self._value = None

    def __call__(self, command: np.ndarray, dt_s: float) -> np.ndarray:
        command = np.asarray(command, dtype=float)
        if self._value is None:
            self._value = command.copy()
        else:
            limit = self.max_rate * dt_s
            self._value = self._value + np.clip(command - self._value, -limit, limit)
        return self._value.copy()


def joint_targets_to_action(robot: RobotDescription, targets: np.ndarray, action_scale: float) -> np.ndarray:
    """Joint position targets (controller angles, rad) -> ``LaikagoWalk-v0`` action (pd mode), clipped to [-1, 1]."""
    return np.clip((np.asarray(targets) - robot.standing_angles) / action_scale, -1.0, 1.0).astype(np.float32)


@dataclass
class GaitController:
    """Open-loop gait: phase clock → foot trajectories → inverse kinematics → joint targets → action.

    Attributes:
        robot: the robot description (kinematics and standing pose).
        spec: the gait.
        action_scale: the env's ``action_scale`` (rad per unit action), to express targets as actions.
        body_height_m: hip height above the ground; defaults to the spec's, else the standing pose's.
        ramp_s: the stride grows from zero over this time after reset, so the robot does not lurch.
        attitude_gain: body-levelling feedback, m of leg-length change per m of hip-height error caused by body
            roll and pitch (0 = purely open loop). Legs on the low side of the body lengthen, those on the high
            side shorten; this is what keeps gaits with pitching support (bound, pronk) from sitting down.
        heading_gain: steering feedback, rad/s of extra yaw-rate command per rad of heading error, 1/s. The heading
            reference starts at the heading of the first call after reset and integrates the commanded yaw rate;
            without it the asymmetric gaits (walk, pace, gallop) drift 40-50 deg in 20 s.
    """

    robot: RobotDescription
    spec: GaitSpec
    action_scale: float
    body_height_m: float | None = None
    ramp_s: float = 1.0
    attitude_gain: float = 0.5
    heading_gain: float = 1.0

    def __post_init__(self) -> None:
        self.spec = scale_gait(self.spec, self.robot)  # presets are tuned on the Laikago; see envs.gaits.scaling
        self.name = self.spec.name
        height = self.body_height_m or self.spec.body_height_m or standing_hip_to_foot_m(self.robot)
        self.body_height_m = height
        nominal = np.column_stack([np.zeros(4), np.array(self.robot.hip_lateral_offsets_m), np.full(4, -height)])
        self.generator = FootTrajectoryGenerator(self.spec, self.robot.hip_positions, nominal)
        self.last_clamped = np.zeros(4, dtype=bool)
        self._heading_ref: float | None = None
        self._last_time_s = 0.0
        self.limiter = CommandRateLimiter()

    def reset(self) -> None:
        self.last_clamped = np.zeros(4, dtype=bool)
        self._heading_ref = None
        self._last_time_s = 0.0
        self.limiter.reset()

    def ramp(self, time_s: float) -> float:
        """Start-up factor in [0, 1]: grows linearly to 1 over ``ramp_s`` after reset."""
        return min(1.0, time_s / self.ramp_s) if self.ramp_s > 0 else 1.0

    def phases(self, time_s: float) -> np.ndarray:
        """Leg phases in cycles, (4,), FR, FL, RR, RL; stance while phase < duty factor."""
        return leg_phases(time_s, self.spec)

    def planned_stance(self, time_s: float) -> np.ndarray:
        return stance_mask(self.phases(time_s), self.spec.duty_factor)

    def joint_targets(self, time_s: float, command: np.ndarray,
                      roll_pitch: tuple[float, float] | None = None) -> np.ndarray:
        """Joint position targets (controller angles, rad, (12,)) at ``time_s`` for ``command``.

        ``roll_pitch`` (rad) feeds the attitude feedback when ``attitude_gain`` > 0.
        """
        return self.targets_for_phases(self.phases(time_s), command, roll_pitch, self.ramp(time_s))

    def targets_for_phases(self, phases: np.ndarray, command: np.ndarray,
                           roll_pitch: tuple[float, float] | None = None, ramp: float = 1.0,
                           stride_scale: np.ndarray | float = 1.0) -> np.ndarray:
        """Joint targets (rad, (12,)) for given leg phases (cycles, (4,)), e.g. from an external oscillator.

        ``ramp`` in [0, 1] scales the command and the swing height (start-up); ``stride_scale`` (scalar or per leg)
        scales each leg's foot excursion about its neutral point.
        """
        cmd = np.asarray(command, dtype=float) * ramp
        feet = self.generator.foot_targets(phases, cmd, self.body_height_m)
        if not np.all(np.asarray(stride_scale) == 1.0):
            nominal_xy = self.generator.nominal_feet_hip_frame[:, :2]
            feet[:, :2] = nominal_xy + np.asarray(stride_scale).reshape(-1, 1) * (feet[:, :2] - nominal_xy)
        if ramp < 1.0:  # lift the feet gradually too, so the first steps are small
            height = self.body_height_m
            assert height is not None  # set in __post_init__
            feet[:, 2] = -height + ramp * (feet[:, 2] + height)
        if self.attitude_gain > 0 and roll_pitch is not None:
            roll, pitch = roll_pitch
            hips = self.robot.hip_positions
            # Hip height error from attitude: -x·sin(pitch) (nose-down pitch lowers front hips), +y·sin(roll).
            hip_drop = hips[:, 0] * np.sin(pitch) - hips[:, 1] * np.sin(roll)
            feet[:, 2] -= self.attitude_gain * hip_drop
        result = inverse_kinematics(self.robot, feet)
        self.last_clamped = result.clamped
        return result.joint_angles

    def act(self, observation: np.ndarray, state: RobotState, time_s: float, command: np.ndarray) -> np.ndarray:
        roll_pitch = (float(state.base_rpy[0]), float(state.base_rpy[1]))
        smooth = self.limiter(command, max(0.0, time_s - self._last_time_s))
        return joint_targets_to_action(self.robot, self.joint_targets(time_s, self.steer(state, time_s, smooth),
                                                                      roll_pitch), self.action_scale)

    def steer(self, state: RobotState, time_s: float, command: np.ndarray) -> np.ndarray:
        """The command with the heading feedback added to its yaw rate (see ``heading_gain``)."""
        cmd = np.array(command, dtype=float)
        yaw = float(state.base_rpy[2])
        if self._heading_ref is None or time_s < self._last_time_s:
            self._heading_ref = yaw
        # The yaw command ramps up like the rest of the command.
        self._heading_ref += self.ramp(time_s) * cmd[2] * (time_s - self._last_time_s)
        self._last_time_s = time_s
        error = (self._heading_ref - yaw + np.pi) % (2 * np.pi) - np.pi
        cmd[2] += self.heading_gain * error
        return cmd
