"""docs/extending.md's example task works as printed: composed into an env, it passes the checkers and rewards what
it says."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from gymnasium.utils.env_checker import check_env

from envs.env import QuadrupedEnv

DOC = Path(__file__).resolve().parents[2] / "docs" / "extending.md"


def _hop_task_class():
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    source = next(b for b in blocks if "class HopTask" in b)
    namespace: dict = {}
    exec(compile(source, str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["HopTask"]


def test_the_documented_task_composes_into_a_working_env():
    env = QuadrupedEnv(task=_hop_task_class(), target_height_m=0.6)
    try:
        check_env(env, skip_render_check=True)  # no registered spec to re-make it from
        obs, info = env.reset(seed=0)
        assert obs[env.observation_layout["target_height"]][0] == np.float32(0.6)
        np.testing.assert_array_equal(info["command"], np.zeros(3))
        _, reward, *_, info = env.step(np.zeros(12, np.float32))
        assert set(info["reward_terms"]) == {"height", "drift", "alive"}
        assert reward == sum(info["reward_terms"].values())
    finally:
        env.close()
