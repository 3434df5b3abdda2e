"""Controllers by name: built-in gaits (``"trot"``, ``"walk"``, ...), shipped pretrained policies
(``"laikago-walk-ppo"``), or a run folder / model path.

Every controller implements the :class:`~envs.gaits.controller.Controller` protocol and comes with the env it runs
in (:class:`ControllerSpec`): a scripted gait runs in ``quadgait/LaikagoVelocity-v1``, whose task holds whatever
command it is given; a policy runs in the env it was trained in, and its *command range* is the range of commands
that env's task gave during training, so a result at a command outside it is never mistaken for a like-for-like
one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from envs.config import CONDITION_SETTINGS
from envs.gaits import GAIT_PRESETS, get_gait
from envs.gaits.controller import Controller, GaitController

#: The env scripted controllers run in: its task takes any (vx, vy, yaw rate) command through reset options.
SCRIPTED_ENV_ID = "quadgait/LaikagoVelocity-v1"
#: Model-based gaits are named ``mpc-<gait>`` (the stance-force controller of :mod:`envs.gaits.model_based`; they
#: run in the same env in torque mode at 250 Hz).
MODEL_BASED_PREFIX = "mpc-"
#: The commands each kind of scripted controller supports: the largest |vx| m/s, |vy| m/s and |yaw rate| rad/s it
#: may be asked for. The open-loop gaits' feet cannot follow faster strides (their top sustained speed is about
#: 0.75 m/s, README "Gaits"); the model-based trot holds 1.6 and 1.7 m/s for 20 s and 2.0 m/s for 15.8 s (README).
OPEN_LOOP_COMMAND_LIMITS = (1.5, 1.0, 2.0)
MODEL_BASED_COMMAND_LIMITS = (2.0, 1.0, 2.0)


@dataclass(frozen=True)
class ControllerSpec:
    """A controller by name, with the env it runs in.

    Attributes:
        name: as given by the user (a gait, a pretrained name or a path).
        kind: ``"gait"`` (open loop), ``"model_based"`` (``mpc-<gait>``) or ``"policy"``.
        env_id, env_kwargs: the env to run it in (a policy's training env and settings).
        command_range: (low, high) of the commands the controller was trained on (None: any command).
        path: a policy's run folder or model file.
        robot: the robot a policy was trained on (None for scripted gaits, which fit any robot).
        trust_pickle: let the policy's loader unpickle legacy files (see :mod:`envs.policies.loading`).
        command_limits: the largest |vx| m/s, |vy| m/s, |yaw rate| rad/s a scripted controller supports (None: a
            policy, whose ``command_range`` says what it was trained on).
    """

    name: str
    kind: str
    env_id: str
    env_kwargs: Mapping[str, Any] = field(default_factory=dict)
    command_range: tuple[np.ndarray, np.ndarray] | None = None
    path: str | None = None
    robot: str | None = None
    trust_pickle: bool = False
    command_limits: tuple[float, float, float] | None = None

    def check_command(self, command) -> np.ndarray:
        """``command`` (vx m/s, vy m/s, yaw rate rad/s) as an array if this controller supports it.

        Raises:
            ValueError: naming the controller's supported range.
        """
        cmd = np.asarray(command, dtype=float)
        if self.command_limits is not None and not np.all(np.abs(cmd) <= self.command_limits):
            vx, vy, yaw = self.command_limits
            raise ValueError(f"controller {self.name!r} supports |vx| <= {vx:g} m/s, |vy| <= {vy:g} m/s and "
                             f"|yaw rate| <= {yaw:g} rad/s; got vx {cmd[0]:g} m/s, vy {cmd[1]:g} m/s, "
                             f"yaw rate {cmd[2]:g} rad/s")
        return cmd

    def in_range(self, command: np.ndarray, tolerance: float = 1e-6) -> bool:
        """Whether ``command`` (vx, vy, yaw rate) lies in the controller's training range."""
        if self.command_range is None:
            return True
        low, high = self.command_range
        command = np.asarray(command, dtype=float)
        return bool(np.all(command >= low - tolerance) and np.all(command <= high + tolerance))

    def describe_range(self) -> str:
        if self.command_range is None:
            return "any command"
        low, high = self.command_range
        parts = []
        for name, unit, lo, hi in zip(("vx", "vy", "yaw rate"), ("m/s", "m/s", "rad/s"), low, high, strict=True):
            parts.append(f"{name} {lo:g} {unit}" if lo == hi else f"{name} {lo:g}..{hi:g} {unit}")
        return ", ".join(parts)

    def make(self, env: gym.Env) -> Controller:
        """Build the controller for ``env`` (made from :attr:`env_id` and :attr:`env_kwargs`, plus conditions)."""
        from envs.env import quadruped_env

        base = quadruped_env(env)
        if self.kind == "model_based":
            from envs.gaits.model_based import make_model_based_controller

            action_map = base.action_map
            if type(action_map).__name__ != "JointTargets" or action_map.settings.motor_control != "torque":
                raise ValueError("model-based gaits need joint-torque actions (motor_control='torque')")
            return make_model_based_controller(base.robot, self.name.removeprefix(MODEL_BASED_PREFIX),
                                               base.control_dt_s)
        if self.kind == "gait":
            action_map = base.action_map
            if type(action_map).__name__ != "JointTargets" or action_map.settings.motor_control != "pd":
                raise ValueError("scripted gaits need joint-target actions in motor_control='pd'")
            return GaitController(base.robot, get_gait(self.name), action_map.settings.action_scale)
        from envs.policies.loading import PolicyController

        if self.path is None:
            raise ValueError(f"the policy controller {self.name!r} has no run folder or model path")
        return PolicyController(self.path, env, trust_pickle=self.trust_pickle)


def builtin_controller_names() -> tuple[str, ...]:
    """The open-loop gaits (``"trot"``, ...) and the model-based ones (``"mpc-trot"``, ...)."""
    return (*sorted(GAIT_PRESETS), *model_based_names())


def model_based_names() -> tuple[str, ...]:
    from envs.gaits.model_based_presets import MODEL_BASED_GAITS

    return tuple(MODEL_BASED_PREFIX + name for name in sorted(MODEL_BASED_GAITS))


def is_policy_path(name: str) -> bool:
    """Controller names that point at files: anything with a path separator or a ``.zip`` suffix, or that exists."""
    return "/" in name or name.endswith(".zip") or Path(name).exists()


def resolve_policy(name: str) -> str:
    """A shipped pretrained policy's name → its run folder; anything else unchanged."""
    from envs.policies import pretrained_path

    path = pretrained_path(name)
    return str(path) if path is not None else name


def check_controller_name(name: str) -> None:
    """Validate a controller name without building it (ValueError listing valid names)."""
    from envs.policies import pretrained_names

    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"a controller name must be a non-empty string, got {name!r}")
    key = name.strip().lower()
    if key in GAIT_PRESETS or key in model_based_names() or name in pretrained_names() or is_policy_path(name):
        return
    valid = [*builtin_controller_names(), *pretrained_names()]
    raise ValueError(f"unknown controller {name!r}; valid: {', '.join(valid)}, or a run folder / .zip model path")


def resolve_controller(name: str, trust_pickle: bool = False) -> ControllerSpec:
    """The :class:`ControllerSpec` called ``name`` (``trust_pickle``: see :class:`ControllerSpec`).

    Raises:
        ValueError: unknown name (the message lists the valid ones), or a policy whose run configuration cannot
            be read (:class:`envs.policies.loading.PolicyLoadError`).
    """
    check_controller_name(name)
    key = name.strip().lower()
    if key in GAIT_PRESETS and "/" not in name:
        return ControllerSpec(key, "gait", SCRIPTED_ENV_ID, command_limits=OPEN_LOOP_COMMAND_LIMITS)
    if key in model_based_names() and "/" not in name:
        from envs.gaits.model_based import MODEL_BASED_ENV_SETTINGS

        return ControllerSpec(key, "model_based", SCRIPTED_ENV_ID, dict(MODEL_BASED_ENV_SETTINGS),
                              command_limits=MODEL_BASED_COMMAND_LIMITS)
    from envs.policies.loading import PolicyLoadError, describe_policy
    from envs.registry import command_range

    path = resolve_policy(name)
    if not Path(path).exists():
        raise PolicyLoadError(f"no run folder or model at {path!r}")
    source = describe_policy(path)
    # The training conditions (randomization, pushes, terrain, ...) stay behind: a policy runs under the conditions
    # it is asked to run under, like every other controller.
    env_id = source.env_id
    env_kwargs = {k: v for k, v in source.env_kwargs.items() if k not in CONDITION_SETTINGS}
    try:
        low_high = command_range(env_id, env_kwargs)
    except (ValueError, TypeError) as exc:
        raise PolicyLoadError(f"the policy's env {env_id!r} with {env_kwargs} is not usable: {exc}") from None
    return ControllerSpec(name, "policy", env_id, env_kwargs, low_high, path, source.robot, trust_pickle)


def make_controller(name: str, env: gym.Env) -> Controller:
    """Build the controller called ``name`` for an env made elsewhere (see :meth:`ControllerSpec.make`)."""
    return resolve_controller(name).make(env)



class ZeroAction:
    """A controller that always sends the zero action. In an env whose action map is a prior that already walks
    (``"model_based"``: ``quadgait/LaikagoSteerPrior-v0``), that is the prior alone, the baseline a policy trained
    over it is measured against (``benchmarks/prior_alone.py``, ``benchmarks/time_to_steer.py --prior``)."""

    name = "prior alone (zero action)"

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"action size must be at least 1, got {size}")
        self.action = np.zeros(size, dtype=np.float32)

    def reset(self) -> None:
        pass

    def act(self, observation, state, time_s, command) -> np.ndarray:
        return self.action
