"""Which parts make each env id: one table of tasks, one of action maps, one line per id.

Adding a task or an action space is one class (see :class:`envs.tasks.common.Task`,
:class:`envs.actions.ActionMap`) plus one line here; ``docs/extending.md`` walks through an example. The parts of an
id are keyword arguments of its registration (``task=...``, ``action=...``), so ``env.spec`` records them and
``gymnasium.make`` can swap one (``gym.make("quadgait/LaikagoWalk-v0", action="cpg")``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar

import gymnasium as gym
import numpy as np

from envs.actions import CPG, ActionMap, JointTargets, ModelBasedPrior, TrotResidual
from envs.tasks.common import Task
from envs.tasks.gait import GaitTask
from envs.tasks.velocity import VelocityTask
from envs.tasks.walk import WalkTask

TASKS: Mapping[str, type[Task]] = MappingProxyType({"walk": WalkTask, "velocity": VelocityTask, "gait": GaitTask})
ACTIONS: Mapping[str, type[ActionMap]] = MappingProxyType({"joint_targets": JointTargets, "trot_residual": TrotResidual,
                                                "cpg": CPG, "model_based": ModelBasedPrior})

# The gait-prior ids default to a faster target than the plain walk, with a wider speed-tracking kernel and more
# weight on it, so the policy is pulled towards speeds the trot cannot reach.
_FAST = {"target_speed_mps": 1.0, "tracking_sigma_mps": 0.5, "reward_weights": {"tracking": 2.0}}

#: env id -> registration keyword arguments: the parts, then settings that differ from the parts' defaults.
ENVS: Mapping[str, Mapping[str, Any]] = MappingProxyType({
    "quadgait/LaikagoWalk-v0": {"task": "walk", "action": "joint_targets"},
    "quadgait/LaikagoTrotResidual-v0": {"task": "walk", "action": "trot_residual", **_FAST},
    "quadgait/LaikagoCPG-v0": {"task": "walk", "action": "cpg", **_FAST},
    "quadgait/LaikagoVelocity-v1": {"task": "velocity", "action": "joint_targets"},
    "quadgait/LaikagoGait-v1": {"task": "gait", "action": "joint_targets"},
    # The steerable dog: velocity and heading commands over the trot prior (which now follows the command too).
    "quadgait/LaikagoSteer-v0": {"task": "velocity", "action": "trot_residual", "vx_range_mps": (-0.5, 1.0),
                                 "vy_range_mps": (-0.4, 0.4), "yaw_rate_range_radps": (-0.8, 0.8),
                                 "standing_probability": 0.1, "heading_probability": 0.5},
    # The steerable dog over the model-based trot: the same commands; the policy corrects the command the
    # stance-force controller follows (docs/steering.md).
    "quadgait/LaikagoSteerPrior-v0": {"task": "velocity", "action": "model_based", "vx_range_mps": (-0.5, 1.0),
                                 "vy_range_mps": (-0.4, 0.4), "yaw_rate_range_radps": (-0.8, 0.8),
                                 "standing_probability": 0.1, "heading_probability": 0.5},
})
ENTRY_POINT = "envs.env:QuadrupedEnv"
#: Default episode length of every id, control steps (20 s at the default 50 Hz); ``gymnasium.make(...,
#: max_episode_steps=N)`` changes it, and ``env.spec.max_episode_steps`` always says what the env does.
MAX_EPISODE_STEPS = 1000


def register_all() -> None:
    for env_id, kwargs in ENVS.items():
        if env_id not in gym.registry:
            # No passive env checker: after a reset that raised (an invalid option, say), Gymnasium 1.x's checker
            # fails the next valid step with a TypeError (its first-reset data is never stored). The tests run
            # both full checkers (gymnasium's and SB3's check_env) on every id instead (tests/envs).
            gym.register(id=env_id, entry_point=ENTRY_POINT, kwargs=dict(kwargs),
                         max_episode_steps=MAX_EPISODE_STEPS, disable_env_checker=True)


def episode_steps(seconds: float, env_kwargs: Mapping[str, Any] | None = None) -> int:
    """Control steps in ``seconds`` at the control rate ``env_kwargs`` set (``max_episode_steps`` of that length)."""
    from envs.config import EnvSettings

    control_hz = float((env_kwargs or {}).get("control_hz", EnvSettings.control_hz))
    return max(1, int(round(seconds * control_hz)))


Part = TypeVar("Part", Task, ActionMap)


def _lookup(table: Mapping[str, type[Part]], base: type[Part], name: Any, kind: str) -> type[Part]:
    if isinstance(name, type) and issubclass(name, base):
        return name
    if not isinstance(name, str) or name not in table:
        raise ValueError(f"unknown {kind} {name!r}; valid: {', '.join(table)}")
    return table[name]


def lookup_task(name: Any) -> type[Task]:
    """The task called ``name`` in :data:`TASKS`. A :class:`Task` subclass passes through, for experiments
    (``QuadrupedEnv(task=MyTask)``); registered ids name their parts. ValueError listing the valid names."""
    return _lookup(TASKS, Task, name, "task")


def lookup_action(name: Any) -> type[ActionMap]:
    """The action map called ``name`` in :data:`ACTIONS` (an :class:`ActionMap` subclass passes through)."""
    return _lookup(ACTIONS, ActionMap, name, "action")


def env_parts(env_id: str, env_kwargs: Mapping[str, Any] | None = None
              ) -> tuple[type[Task], type[ActionMap], dict[str, Any]]:
    """(task class, action-map class, all keyword arguments) of ``env_id`` made with ``env_kwargs``.

    Raises:
        ValueError: ``env_id`` is not a quadgait id.
    """
    if env_id not in ENVS:
        raise ValueError(f"{env_id!r} is not a quadgait env id; valid: {', '.join(ENVS)}")
    kwargs = {**ENVS[env_id], **(env_kwargs or {})}
    return lookup_task(kwargs.get("task")), lookup_action(kwargs.get("action")), kwargs


def check_env_kwargs(env_id: str, env_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Build (and so validate) the settings ``env_id`` gets from ``env_kwargs``, without making an env.

    Raises:
        ValueError: an unknown id or setting (``render_mode``, ``max_episode_steps`` and the parts are not
            settings), or an invalid value.
    """
    from envs.config import EnvSettings, split_settings

    for key in ("task", "action"):
        if key in env_kwargs:
            raise ValueError(f"{key!r} is set by the env id {env_id!r}, not a setting")
    task_cls, action_cls, kwargs = env_parts(env_id, env_kwargs)
    settings = {k: v for k, v in kwargs.items() if k not in ("task", "action")}
    return split_settings(settings, {"env": EnvSettings, "task": task_cls.Settings, "action": action_cls.Settings})


def task_settings(env_id: str, env_kwargs: Mapping[str, Any] | None = None) -> tuple[type[Task], Any]:
    """The task class and its settings (validated) for ``env_id`` made with ``env_kwargs``."""
    from envs.config import field_names

    task_cls, _, kwargs = env_parts(env_id, env_kwargs)
    names = set(field_names(task_cls.Settings))
    return task_cls, task_cls.Settings(**{k: v for k, v in kwargs.items() if k in names})


def command_range(env_id: str, env_kwargs: Mapping[str, Any] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of the commands ``env_id`` gives with ``env_kwargs``: the range a policy trained there saw."""
    task_cls, settings = task_settings(env_id, env_kwargs)
    return task_cls.command_range(settings)
