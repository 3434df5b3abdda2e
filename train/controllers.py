"""Controllers by name: built-in gaits ("trot", "walk", ...) now; trained policies (run folders) later."""

from __future__ import annotations

import gymnasium as gym

from envs.gaits import GAIT_PRESETS, get_gait
from envs.gaits.controller import Controller, GaitController


def builtin_controller_names() -> tuple[str, ...]:
    return tuple(sorted(GAIT_PRESETS))


def make_controller(name: str, env: gym.Env) -> Controller:
    """Build the controller called ``name`` for ``env`` (a built-in gait name).

    Raises:
        ValueError: unknown name; the message lists the valid ones.
    """
    base = env.unwrapped
    if base.settings.motor_control != "pd":
        raise ValueError("scripted gaits need motor_control='pd'")
    key = name.strip().lower()
    if key in GAIT_PRESETS:
        return GaitController(base.robot, get_gait(key), base.settings.action_scale)
    raise ValueError(f"unknown controller {name!r}; valid: {', '.join(builtin_controller_names())}")
