"""Gait-prior action spaces: checkers pass, a zero residual is the scripted trot, CPGs lock to trot phases."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from envs.gait_analysis import circular_distance_cycles

RESIDUAL, CPG = "quadgait/LaikagoTrotResidual-v0", "quadgait/LaikagoCPG-v0"


@pytest.mark.parametrize("env_id, action_dim, obs_dim", [(RESIDUAL, 14, 56), (CPG, 8, 54)])
def test_spaces_and_checkers(env_id, action_dim, obs_dim):
    env = gym.make(env_id)
    try:
        assert env.action_space.shape == (action_dim,)
        assert env.observation_space.shape == (obs_dim,)
        layout = env.unwrapped.observation_layout
        assert layout["last_action"].stop - layout["last_action"].start == action_dim
        assert "leg_phase_sin" in layout
        gym_check_env(env.unwrapped, skip_render_check=True)
        sb3_check_env(env.unwrapped)
    finally:
        env.close()


def _run(env, action, steps):
    env.reset(seed=0)
    for _ in range(steps):
        _, _, terminated, truncated, info = env.step(action)
        assert not terminated, info["failure"]
    return env.unwrapped.robot_state


def test_zero_residual_action_runs_the_scripted_trot():
    env = gym.make(RESIDUAL, target_speed_mps=0.5)
    try:
        state = _run(env, np.zeros(14, np.float32), 500)  # 10 s
        assert state.base_position_world[0] > 3.5
        phases = env.unwrapped.action_map.leg_phases()
        assert circular_distance_cycles(phases[0], phases[3]) < 1e-9  # FR with RL
        assert circular_distance_cycles(phases[0], phases[1]) == pytest.approx(0.5)
    finally:
        env.close()


def test_residual_frequency_modulation_changes_the_stride_rate():
    env = gym.make(RESIDUAL, target_speed_mps=0.5)
    try:
        env.reset(seed=0)
        action = np.zeros(14, np.float32)
        action[12] = 1.0  # f = 2 Hz * 1.5
        before = env.unwrapped.action_map._phase
        env.step(action)
        assert (env.unwrapped.action_map._phase - before) % 1.0 == pytest.approx(3.0 * 0.02)
    finally:
        env.close()


def test_cpg_oscillators_lock_to_trot_offsets_and_reach_their_amplitude():
    env = gym.make(CPG, target_speed_mps=0.5)
    try:
        action = np.zeros(8, np.float32)
        action[:4] = (2.0 - 0.5) / 3.5 * 2 - 1  # 2 Hz on every leg
        action[4:] = 0.0  # mu = 0.5
        state = _run(env, action, 250)
        phases = env.unwrapped.action_map.leg_phases()
        assert circular_distance_cycles(phases[0], phases[3]) < 0.02
        assert circular_distance_cycles(phases[1], phases[2]) < 0.02
        assert abs(circular_distance_cycles(phases[0], phases[1]) - 0.5) < 0.02
        np.testing.assert_allclose(env.unwrapped.action_map._r, 0.5, atol=1e-3)
        assert state.base_position_world[0] > 1.0  # it walks forward
    finally:
        env.close()


def test_prior_envs_reject_settings_of_other_action_maps():
    # The gait priors make their own joint targets: a motor mode or action scale would silently do nothing.
    with pytest.raises(ValueError, match="unknown setting.*'motor_control'.*valid settings: robot"):
        gym.make(RESIDUAL, motor_control="torque")
    with pytest.raises(ValueError, match="unknown setting.*'action_scale'"):
        gym.make(CPG, action_scale=0.3)


@pytest.mark.parametrize("env_id", [RESIDUAL, CPG])
def test_rollouts_record_structured_actions(env_id):
    from envs.rollout import run_episode

    class Zero:
        name = "zero"

        def reset(self):
            pass

        def act(self, observation, state, time_s, command):
            return np.zeros(env.action_space.shape, np.float32)

    env = gym.make(env_id)
    try:
        rollout = run_episode(env, Zero(), 1.0, seed=0)
        assert rollout.actions.shape == (50, env.action_space.shape[0])
    finally:
        env.close()
