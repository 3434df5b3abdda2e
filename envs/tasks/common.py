"""What every task shares: the :class:`Task` base, reward-weight handling, termination and the proprioceptive
part of the observation (pure numpy, no PyBullet).

A task owns the command: it chooses it at reset (from ``reset(options=...)`` or the env's seeded generator),
may change it during the episode, writes it into the observation, scores the reward against it, and reports it as
``info["command"]``. Nobody else supplies a command.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, ClassVar, Mapping

import numpy as np

from envs.config import check_reward_overrides
from envs.numerics import dot
from envs.robots.description import RobotDescription
from envs.state import RobotState

#: One observation block: (name, size, symmetric bound). Values are clipped to [-bound, bound].
Feature = tuple[str, int, float]

#: Tipping limit: the episode ends when the body z axis is more than this far from vertical.
MAX_TILT_RAD = np.deg2rad(60.0)
_MIN_UPRIGHT = np.cos(MAX_TILT_RAD)  # State.upright below this: tipped
#: State magnitudes beyond these are a physics blow-up, not motion (the robot cannot reach them).
MAX_LIN_SPEED_MPS = 30.0
MAX_ANG_SPEED_RADPS = 100.0
#: The largest command any task accepts: |vx| m/s, |vy| m/s, |yaw rate| rad/s.
COMMAND_LIMITS = np.array([3.0, 2.0, 3.0])


class Task:
    """Base of the tasks: subclasses set the class attributes and implement :meth:`reward_terms`.

    Override points (all optional except ``reward_terms``): :meth:`observation_features` and :meth:`features`
    (task entries of the observation), :meth:`reset` and :meth:`update` (choose and change the command),
    :meth:`failure`, :meth:`info`, :meth:`command_range` and :meth:`impose_command`.
    """

    #: Settings dataclass of the task (its fields are keyword arguments of ``gymnasium.make``).
    Settings: ClassVar[type]
    #: Reward terms and their default weights; ``reward_weights`` overrides them by name.
    DEFAULT_REWARD_WEIGHTS: ClassVar[Mapping[str, float]]
    #: ``reset(options=...)`` keys this task understands; any other key is an error.
    RESET_OPTIONS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, settings: Any, robot: RobotDescription, control_dt_s: float) -> None:
        self.settings = settings
        self.robot = robot
        self.control_dt_s = control_dt_s
        self.reward_weights = resolve_reward_weights(settings.reward_weights, self.DEFAULT_REWARD_WEIGHTS)
        #: The command in effect: (vx m/s, vy m/s, yaw rate rad/s) in the body's heading frame.
        self.command = np.zeros(3)

    # -------------------------------------------------------------- observation
    def observation_features(self) -> tuple[Feature, ...]:
        """The task's blocks of the observation, after the proprioceptive ones."""
        return ()

    def features(self, state: RobotState) -> np.ndarray | None:
        """Values of :meth:`observation_features`, concatenated (None when there are none)."""
        return None

    # -------------------------------------------------------------- command
    def reset(self, rng: np.random.Generator, options: Mapping[str, Any], state: RobotState) -> None:
        """Start an episode: choose the command (``options`` holds only keys of ``RESET_OPTIONS``)."""

    def update(self, rng: np.random.Generator, state: RobotState) -> None:
        """Called after each control step, before the reward and the observation: change the command if due."""

    @classmethod
    def command_range(cls, settings: Any) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) of the commands this task gives under ``settings``: what a policy trained on it has seen."""
        return np.zeros(3), np.zeros(3)

    @classmethod
    def impose_command(cls, command: np.ndarray, heading_rad: float | None = None
                       ) -> tuple[dict[str, Any], dict[str, Any]]:
        """How to make this task hold ``command`` for a whole episode: (env settings to set, reset options).
        ``heading_rad`` (with a zero yaw rate): the heading to hold, where the task has a heading mode.

        Raises:
            ValueError: the task cannot express this command.
        """
        raise ValueError(f"the {cls.__name__} takes no commands")

    # -------------------------------------------------------------- reward, termination, info
    def reward_terms(self, state: RobotState, action: np.ndarray, last_action: np.ndarray) -> dict[str, float]:
        """Unweighted reward terms, by the names of ``DEFAULT_REWARD_WEIGHTS``."""
        raise NotImplementedError

    def rewards(self, state: RobotState, action: np.ndarray, last_action: np.ndarray) -> dict[str, float]:
        """Weighted reward terms; the reward is their sum."""
        return weighted_terms(self.reward_terms(state, action, last_action), self.reward_weights)

    def failure(self, state: RobotState) -> str | None:
        return failure_reason(state)

    def info(self) -> dict[str, Any]:
        """What the task adds to every step's ``info`` (the command in effect, at least)."""
        return {"command": self.command.copy()}


def check_command(value: Any, what: str = "options['command']") -> np.ndarray:
    """A (vx, vy, yaw rate) command as a float array, within :data:`COMMAND_LIMITS`; ValueError otherwise."""
    try:
        cmd = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        cmd = None
    if cmd is None or cmd.shape != (3,) or not np.all(np.isfinite(cmd)):
        raise ValueError(f"{what} must be 3 finite numbers (vx m/s, vy m/s, yaw rate rad/s), got {value!r}")
    if np.any(np.abs(cmd) > COMMAND_LIMITS):
        raise ValueError(f"{what}={cmd.tolist()} is out of range; valid: |vx| <= {COMMAND_LIMITS[0]} m/s, "
                         f"|vy| <= {COMMAND_LIMITS[1]} m/s, |yaw rate| <= {COMMAND_LIMITS[2]} rad/s")
    return cmd


# ---------------------------------------------------------------------------- reward weights
def resolve_reward_weights(weights: Mapping[str, float] | None,
                           defaults: Mapping[str, float]) -> Mapping[str, float]:
    """``defaults`` overridden by ``weights``. Raises ValueError on unknown names or non-finite values."""
    merged = dict(defaults)
    for name, value in check_reward_overrides(weights).items():
        if name not in merged:
            raise ValueError(f"unknown reward term {name!r}; valid terms: {', '.join(defaults)}")
        merged[name] = value
    return MappingProxyType(merged)


def weighted_terms(terms: Mapping[str, float], weights: Mapping[str, float]) -> dict[str, float]:
    """Each term times its weight; the reward is the sum of the returned values."""
    return {name: float(weights[name] * value) for name, value in terms.items()}


def failure_reason(state: RobotState) -> str | None:
    """Why the episode must end now: ``"physics"``, ``"tipped"``, ``"body_contact"`` or None."""
    lin, ang = state.base_lin_vel_world, state.base_ang_vel_world
    if (not state.is_finite() or dot(lin, lin) > MAX_LIN_SPEED_MPS**2
            or dot(ang, ang) > MAX_ANG_SPEED_RADPS**2):
        return "physics"
    if state.upright < _MIN_UPRIGHT:
        return "tipped"
    if state.body_ground_contact:
        return "body_contact"
    return None


# ---------------------------------------------------------------------------- observation
def proprio_features(num_joints: int, velocity_limits: np.ndarray, action_dim: int) -> tuple[Feature, ...]:
    """The observation blocks every env starts with (bounds are finite so that observations can be clipped)."""
    return (("projected_gravity", 3, 1.0), ("base_ang_vel_body", 3, 50.0), ("base_lin_vel_body", 3, 20.0),
            ("joint_angles_rel", num_joints, 2 * np.pi),
            ("joint_velocities", num_joints, 3.0 * np.asarray(velocity_limits, dtype=float)),
            ("last_action", action_dim, 1.0))


def layout_and_bounds(features: tuple[Feature, ...]) -> tuple[Mapping[str, slice], np.ndarray, np.ndarray]:
    """(names -> slices, low, high) of an observation made of ``features`` in order."""
    layout, highs, start = {}, [], 0
    for name, size, bound in features:
        if name in layout:
            raise ValueError(f"two observation blocks are called {name!r}")
        layout[name] = slice(start, start + size)
        highs.append(np.broadcast_to(np.asarray(bound, dtype=float), (size,)))
        start += size
    high = np.concatenate(highs)
    return MappingProxyType(layout), -high, high


def proprio_values(state: RobotState, standing_pose: np.ndarray, last_action: np.ndarray) -> list[np.ndarray]:
    return [state.projected_gravity_body, state.base_ang_vel_body, state.base_lin_vel_body,
            state.joint_angles - standing_pose, state.joint_velocities, last_action]
