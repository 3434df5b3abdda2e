"""Controllers by name: built-in gaits ("trot", "walk", ...), shipped pretrained policies, or a run folder / model."""

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


def resolve_policy(name: str) -> str:
    """A shipped pretrained policy's name → its run folder; anything else unchanged."""
    from train.pretrained import pretrained_path

    path = pretrained_path(name)
    return str(path) if path is not None else name


def check_controller_name(name: str) -> None:
    """Validate a controller name without building it (ValueError listing valid names)."""
    from train.pretrained import pretrained_names

    if name.strip().lower() in GAIT_PRESETS or name in pretrained_names() or is_policy_path(name):
        return
    valid = [*builtin_controller_names(), *pretrained_names()]
    raise ValueError(f"unknown controller {name!r}; valid: {', '.join(valid)}, or a run folder / .zip model path")


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

    return PolicyController(resolve_policy(name), env)
