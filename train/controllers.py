"""Controllers by name: built-in gaits ("trot", "walk", ...) now; trained policies (run folders) later."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym

from envs.gaits import GAIT_PRESETS, get_gait
from envs.gaits.controller import Controller, GaitController


def builtin_controller_names() -> tuple[str, ...]:
    return tuple(sorted(GAIT_PRESETS))


def is_policy_path(name: str) -> bool:
    """Controller names that point at files: anything with a path separator or a ``.zip`` suffix, or that exists."""
    return "/" in name or name.endswith(".zip") or Path(name).exists()


def check_controller_name(name: str) -> None:
    """Validate a controller name without building it (ValueError listing valid names)."""
    if name.strip().lower() in GAIT_PRESETS or is_policy_path(name):
        return
    raise ValueError(f"unknown controller {name!r}; valid: {', '.join(builtin_controller_names())}, "
                     "or a run folder / .zip model path")


def make_controller(name: str, env: gym.Env) -> Controller:
    """Build the controller called ``name`` for ``env``: a built-in gait name, or a run folder / model path.

    Raises:
        ValueError: unknown name (the message lists the valid ones), or a policy that cannot be loaded
            (:class:`train.policy.PolicyLoadError`).
    """
    check_controller_name(name)
    base = env.unwrapped
    key = name.strip().lower()
    if key in GAIT_PRESETS:
        if base.settings.motor_control != "pd":
            raise ValueError("scripted gaits need motor_control='pd'")
        return GaitController(base.robot, get_gait(key), base.settings.action_scale)
    from train.policy import PolicyController

    return PolicyController(name, env)
