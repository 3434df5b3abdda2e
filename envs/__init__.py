"""quadgait's simulator library: robots, simulation, tasks, action maps, world, gaits, metrics and the env.

Importing ``envs`` registers the environments (:mod:`envs.registry`): ``quadgait/LaikagoWalk-v0`` (joint
targets), ``quadgait/LaikagoTrotResidual-v0`` and ``quadgait/LaikagoCPG-v0`` (gait-prior action spaces),
``quadgait/LaikagoVelocity-v1`` and ``quadgait/LaikagoGait-v1`` (command following).
"""

from __future__ import annotations

from envs.registry import ENVS, register_all

ENV_IDS = tuple(ENVS)
register_all()

__all__ = ["ENV_IDS"]
