"""quadgait's simulator library: robots, simulation, tasks, gaits, metrics and the Gymnasium envs.

Importing ``envs`` registers the environments (``quadgait/LaikagoWalk-v0``).
"""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

ENV_IDS = ("quadgait/LaikagoWalk-v0",)

if "quadgait/LaikagoWalk-v0" not in registry:
    register(id="quadgait/LaikagoWalk-v0", entry_point="envs.walk_env:LaikagoWalkEnv",
             max_episode_steps=None, disable_env_checker=False)

__all__ = ["ENV_IDS"]
