"""Velocity and gait command tasks: reward kernels, command handling, and the phase-contact reward's meaning."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from envs.tasks import velocity
from train.controllers import make_controller

VELOCITY, GAIT = "quadgait/LaikagoVelocity-v0", "quadgait/LaikagoGait-v0"


def test_tracking_reward_is_maximal_at_perfect_tracking_and_falls_off():
    assert velocity.tracking_reward(0.0, 0.25) == 1.0
    values = [velocity.tracking_reward(e, 0.25) for e in (0.0, 0.1, 0.2, 0.4, 1.0)]
    assert all(a > b for a, b in zip(values, values[1:]))
    assert velocity.tracking_reward(np.array([0.3, 0.4]), 0.5) == pytest.approx(np.exp(-1.0))  # |e| = 0.5
    assert velocity.tracking_reward(-0.2, 0.25) == velocity.tracking_reward(0.2, 0.25)


def test_gait_contact_reward_counts_matching_feet():
    stance = np.array([True, False, False, True])
    assert velocity.gait_contact_reward(stance, stance) == 1.0
    assert velocity.gait_contact_reward(stance, ~stance) == 0.0
    assert velocity.gait_contact_reward(stance, np.array([True, True, False, False])) == 0.5


@pytest.mark.parametrize("env_id", [VELOCITY, GAIT])
def test_checkers_pass(env_id):
    env = gym.make(env_id)
    try:
        gym_check_env(env.unwrapped, skip_render_check=True)
        sb3_check_env(env.unwrapped)
    finally:
        env.close()


def test_velocity_command_is_seeded_resampled_and_fixable():
    env = gym.make(VELOCITY)
    try:
        _, info_a = env.reset(seed=3)
        _, info_b = env.reset(seed=3)
        np.testing.assert_array_equal(info_a["command"], info_b["command"])
        assert np.all(info_a["command"] >= velocity.COMMAND_LOW) and np.all(info_a["command"] <= velocity.COMMAND_HIGH)
        obs, info = env.reset(seed=0, options={"command": (0.5, -0.1, 0.2)})
        layout = env.unwrapped.observation_layout
        assert obs[layout["target_speed"]][0] == pytest.approx(0.5)
        first = info["command"]
        for _ in range(260):  # past the 5 s resample: a fixed command stays fixed
            info = env.step(np.zeros(12, np.float32))[-1]
        np.testing.assert_array_equal(info["command"], first)
        env.reset(seed=1)
        commands = {tuple(env.step(np.zeros(12, np.float32))[-1]["command"]) for _ in range(260)}
        assert len(commands) == 2  # resampled once, at 5 s
        with pytest.raises(ValueError, match="3 finite numbers"):
            env.reset(options={"command": (0.5, 0.0)})
    finally:
        env.close()


def _mean_gait_contact(gait_command: str) -> float:
    env = gym.make(GAIT)
    try:
        obs, _ = env.reset(seed=0, options={"gait": gait_command, "command": (0.5, 0.0, 0.0)})
        trot = make_controller("trot", env)
        trot.reset()
        scores = []
        for _ in range(500):
            state = env.unwrapped.robot_state
            obs, _, terminated, _, info = env.step(trot.act(obs, state, state.time_s, np.array([0.5, 0.0, 0.0])))
            assert not terminated
            if state.time_s >= 2.0:
                scores.append(info["reward_terms"]["gait_contact"] / env.unwrapped.reward_weights["gait_contact"])
        return float(np.mean(scores))
    finally:
        env.close()


def test_scripted_trot_scores_higher_under_a_trot_command_than_a_pace_command():
    trot_score, pace_score = _mean_gait_contact("trot"), _mean_gait_contact("pace")
    assert trot_score > 0.75
    assert trot_score > pace_score + 0.15
