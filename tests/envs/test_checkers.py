"""Every registered id passes Gymnasium's checker with its default arguments (render check included, headless)
and stable-baselines3's, with warnings as errors; gym.make's max_episode_steps and the env agree."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import envs


@pytest.mark.parametrize("render_mode", [None, "rgb_array"])
@pytest.mark.parametrize("env_id", envs.ENV_IDS)
def test_checkers_pass_with_default_arguments(env_id, render_mode, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)  # as on a headless machine (CI); pytest turns warnings into errors
    env = gym.make(env_id, render_mode=render_mode, render_width=64, render_height=48)
    try:
        gym_check_env(env.unwrapped)
        sb3_check_env(env.unwrapped, warn=True)
    finally:
        env.close()


@pytest.mark.parametrize("steps", [30, 1200])
def test_max_episode_steps_given_to_make_is_what_the_env_does(steps):
    env = gym.make("quadgait/LaikagoWalk-v0", max_episode_steps=steps, init_joint_noise_rad=0.0)
    try:
        assert env.spec.max_episode_steps == steps
        env.reset(seed=0)
        for k in range(1, steps + 1):
            _, _, terminated, truncated, _ = env.step(np.zeros(12, np.float32))
            assert not terminated
            assert truncated == (k == steps), k  # 1200 steps is past the env's own 20 s (1000 steps)
    finally:
        env.close()


def test_closed_env_and_pickling_give_clear_errors():
    import copy
    import pickle

    env = gym.make("quadgait/LaikagoWalk-v0")
    env.reset(seed=0)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(env.unwrapped)
    with pytest.raises(TypeError, match="cannot be pickled"):
        copy.deepcopy(env.unwrapped)
    env.close()
    env.close()  # twice is fine
    for call in (lambda: env.reset(seed=0), lambda: env.unwrapped.step(np.zeros(12, np.float32))):
        with pytest.raises(RuntimeError, match="env is closed"):
            call()
