"""What every task shares: the :class:`Task` base, reward-weight handling, termination and the proprioceptive
part of the observation (pure numpy, no PyBullet).

A task owns the command, through its command source (:mod:`envs.tasks.commands`): it chooses it at reset (from
``reset(options={"command": ...})`` or the env's seeded generator), may change it during the episode, holds a live
command given with :meth:`Task.set_command`, writes it into the observation, scores the reward against it, and
reports it as ``info["command"]``. Nobody else supplies a command.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from envs.config import check_reward_overrides
from envs.numerics import dot
from envs.robots.description import RobotDescription
from envs.state import RobotState
from envs.tasks.commands import CommandSource, HeldCommand

#: One observation block: (name, size, symmetric bound: one number, or one per entry). Values are clipped to
#: [-bound, bound].
Feature = tuple[str, int, float | np.ndarray]

#: Tipping limit: the episode ends when the body z axis is more than this far from vertical.
MAX_TILT_RAD = np.deg2rad(60.0)
_MIN_UPRIGHT = np.cos(MAX_TILT_RAD)  # State.upright below this: tipped
#: State magnitudes beyond these are a physics blow-up, not motion (the robot cannot reach them).
MAX_LIN_SPEED_MPS = 30.0
MAX_ANG_SPEED_RADPS = 100.0


class Task:
    """Base of the tasks: subclasses set the class attributes and implement :meth:`reward_terms`.

    Override points (all optional except ``reward_terms``): :meth:`observation_features` and :meth:`features`
    (task entries of the observation), :meth:`command_source` (where the command comes from; default: one
    command held all episode, ``options["command"]`` or zero), :meth:`reset` and :meth:`update` (extend them with
    ``super()``), :meth:`failure`, :meth:`info` and :meth:`command_range`.
    """

    #: Settings dataclass of the task (its fields are keyword arguments of ``gymnasium.make``).
    Settings: ClassVar[type]
    #: Reward terms and their default weights; ``reward_weights`` overrides them by name.
    DEFAULT_REWARD_WEIGHTS: ClassVar[Mapping[str, float]]
    #: ``reset(options=...)`` keys this task understands; any other key is an error.
    RESET_OPTIONS: ClassVar[tuple[str, ...]] = HeldCommand.RESET_OPTIONS

    def __init__(self, settings: Any, robot: RobotDescription, control_dt_s: float) -> None:
        self.settings = settings
        self.robot = robot
        self.control_dt_s = control_dt_s
        self.reward_weights = resolve_reward_weights(settings.reward_weights, self.DEFAULT_REWARD_WEIGHTS)
        #: Where the command comes from (:meth:`command_source`).
        self.commands: CommandSource = self.command_source(settings)

    # -------------------------------------------------------------- observation
    def observation_features(self) -> tuple[Feature, ...]:
        """The task's blocks of the observation, after the proprioceptive ones."""
        return ()

    def features(self, state: RobotState) -> np.ndarray | None:
        """Values of :meth:`observation_features`, concatenated (None when there are none)."""
        return None

    # -------------------------------------------------------------- command
    def command_source(self, settings: Any) -> CommandSource:
        """The task's command source, built once (default: one command all episode, ``options["command"]`` or
        zero)."""
        return HeldCommand()

    @property
    def command(self) -> np.ndarray:
        """The command in effect: (vx m/s, vy m/s, yaw rate rad/s) in the body's heading frame."""
        return self.commands.command

    def reset(self, rng: np.random.Generator, options: Mapping[str, Any], state: RobotState) -> None:
        """Start an episode: choose the command (``options`` holds only keys of ``RESET_OPTIONS``)."""
        self.commands.reset(rng, options, state)

    def update(self, rng: np.random.Generator, state: RobotState) -> None:
        """Called after each control step, before the reward and the observation: change the command if due."""
        self.commands.update(rng, state)

    def set_command(self, command: Any) -> None:
        """Hold ``command`` (vx m/s, vy m/s, yaw rate rad/s) from the next step on, e.g. from a keyboard; the task
        stays its owner (it is observed, reported and scored like any other).

        Raises:
            ValueError: the task cannot hold this command.
        """
        self.commands.hold(command)

    @classmethod
    def command_range(cls, settings: Any) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) of the commands this task gives under ``settings``: what a policy trained on it has seen."""
        return np.zeros(3), np.zeros(3)

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
