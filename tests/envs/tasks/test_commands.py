"""The command has two doors: ``reset(options={"command": ...})`` for an episode and ``env.set_command`` for live
driving. Every task takes them; the walk task refuses what it cannot hold; a command given at reset drives the
same episode as the same command given as the walk task's setting."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

WALK, VELOCITY, GAIT = "quadgait/LaikagoWalk-v0", "quadgait/LaikagoVelocity-v1", "quadgait/LaikagoGait-v1"


def _steps(env: gym.Env, n: int, seed: int, options=None) -> tuple[np.ndarray, np.ndarray, list]:
    obs, info = env.reset(seed=seed, options=options)
    observations, rewards, commands = [obs], [], [info["command"]]
    rng = np.random.default_rng(seed)
    for _ in range(n):
        obs, reward, _, _, info = env.step(rng.uniform(-0.3, 0.3, env.action_space.shape).astype(np.float32))
        observations.append(obs)
        rewards.append(reward)
        commands.append(info["command"])
    return np.array(observations), np.array(rewards), commands


def test_walk_command_at_reset_equals_the_target_speed_setting():
    by_setting, by_option = gym.make(WALK, target_speed_mps=0.8), gym.make(WALK)
    try:
        a = _steps(by_setting, 40, seed=3)
        b = _steps(by_option, 40, seed=3, options={"command": (0.8, 0.0, 0.0)})
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
        np.testing.assert_array_equal(a[2], b[2])
        # A later reset without the option goes back to the setting.
        _, info = by_option.reset(seed=0)
        np.testing.assert_array_equal(info["command"], [0.5, 0.0, 0.0])
    finally:
        by_setting.close()
        by_option.close()


@pytest.mark.parametrize("command", [(0.5, 0.2, 0.0), (0.5, 0.0, 0.3)])
def test_walk_task_refuses_sideways_and_turning_commands(command):
    env = gym.make(WALK)
    try:
        with pytest.raises(ValueError, match="walks straight ahead"):
            env.reset(seed=0, options={"command": command})
        env.reset(seed=0)
        with pytest.raises(ValueError, match="walks straight ahead"):
            env.unwrapped.set_command(command)
        with pytest.raises(ValueError, match="heading"):
            env.reset(seed=0, options={"command": (0.5, 0.0, 0.0), "heading_rad": 1.0})
        env.reset(seed=0, options={"command": (0.5, 0.0, 0.0), "heading_rad": 0.0})  # what it does anyway
    finally:
        env.close()


@pytest.mark.parametrize("env_id", [WALK, VELOCITY, GAIT])
def test_set_command_is_held_from_the_next_step_and_observed(env_id):
    env = gym.make(env_id)
    try:
        env.reset(seed=0, options={"command": (0.4, 0.0, 0.0)})
        new = (0.6, 0.0, 0.0)
        env.unwrapped.set_command(new)
        np.testing.assert_array_equal(env.unwrapped.command, new)
        obs, _, _, _, info = env.step(np.zeros(env.action_space.shape, np.float32))
        np.testing.assert_array_equal(info["command"], new)
        layout = env.unwrapped.observation_layout
        block = obs[layout["target_speed"]] if "target_speed" in layout else obs[layout["command"]]
        np.testing.assert_array_equal(block, np.float32(new)[: len(block)])
        with pytest.raises(ValueError, match="3 finite numbers"):
            env.unwrapped.set_command((0.1, np.nan, 0.0))
    finally:
        env.close()
