"""quadgait's simulator library: robots, simulation, tasks, gaits, metrics and the Gymnasium envs.

Importing ``envs`` registers the environments: ``quadgait/LaikagoWalk-v0`` (joint targets),
``quadgait/LaikagoTrotResidual-v0`` and ``quadgait/LaikagoCPG-v0`` (gait-prior action spaces),
``quadgait/LaikagoVelocity-v0`` and ``quadgait/LaikagoGait-v0`` (command following).
"""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

_FAST = {"target_speed_mps": 1.0, "tracking_sigma_mps": 0.5, "reward_weights": {"tracking": 2.0}}
_ENTRY_POINTS = {
    "quadgait/LaikagoWalk-v0": ("envs.walk_env:LaikagoWalkEnv", {}),
    # Gait-prior action spaces (envs/prior_envs.py). They default to a faster target than the plain env, with a
    # wider speed-tracking kernel and more weight on it, so the policy is pulled towards speeds the trot cannot reach.
    "quadgait/LaikagoTrotResidual-v0": ("envs.prior_envs:TrotResidualEnv", _FAST),
    "quadgait/LaikagoCPG-v0": ("envs.prior_envs:CPGEnv", _FAST),
    # Command-following tasks (envs/command_envs.py).
    "quadgait/LaikagoVelocity-v0": ("envs.command_envs:VelocityEnv", {}),
    "quadgait/LaikagoGait-v0": ("envs.command_envs:GaitEnv", {}),
}
ENV_IDS = tuple(_ENTRY_POINTS)

for _env_id, (_entry_point, _kwargs) in _ENTRY_POINTS.items():
    if _env_id not in registry:
        register(id=_env_id, entry_point=_entry_point, kwargs=_kwargs)

__all__ = ["ENV_IDS"]
