"""Velocity and gait command tasks: reward kernels, command handling, and the phase-contact reward's meaning."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from envs import metrics
from envs.controllers import make_controller
from envs.rollout import run_controller, run_episode
from envs.tasks import rewards as reward_shapes

VELOCITY, GAIT = "quadgait/LaikagoVelocity-v1", "quadgait/LaikagoGait-v1"


def test_tracking_reward_is_maximal_at_perfect_tracking_and_falls_off():
    assert reward_shapes.tracking_reward(0.0, 0.25) == 1.0
    values = [reward_shapes.tracking_reward(e, 0.25) for e in (0.0, 0.1, 0.2, 0.4, 1.0)]
    assert all(a > b for a, b in zip(values, values[1:], strict=False))
    assert reward_shapes.tracking_reward(np.array([0.3, 0.4]), 0.5) == pytest.approx(np.exp(-1.0))  # |e| = 0.5
    assert reward_shapes.tracking_reward(-0.2, 0.25) == reward_shapes.tracking_reward(0.2, 0.25)


def test_gait_contact_reward_counts_matching_feet():
    stance = np.array([True, False, False, True])
    assert reward_shapes.gait_contact_reward(stance, stance) == 1.0
    assert reward_shapes.gait_contact_reward(stance, ~stance) == 0.0
    assert reward_shapes.gait_contact_reward(stance, np.array([True, True, False, False])) == 0.5


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
        low, high = env.unwrapped.task.settings.command_low, env.unwrapped.task.settings.command_high
        _, info_a = env.reset(seed=3)
        _, info_b = env.reset(seed=3)
        np.testing.assert_array_equal(info_a["command"], info_b["command"])
        assert np.all(info_a["command"] >= low) and np.all(info_a["command"] <= high)
        obs, info = env.reset(seed=0, options={"command": (0.5, -0.1, 0.2)})
        layout = env.unwrapped.observation_layout
        np.testing.assert_array_equal(obs[layout["command"]], np.float32([0.5, -0.1, 0.2]))
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


class _Recorder:
    """A controller that records the command it is handed and the observation's command entries."""

    name = "recorder"

    def __init__(self, layout):
        self.layout, self.seen = layout, []

    def reset(self):
        self.seen = []

    def act(self, observation, state, time_s, command):
        self.seen.append((np.array(command), observation[self.layout["command"]].astype(float)))
        return np.zeros(12, np.float32)


@pytest.mark.parametrize("env_id", [VELOCITY, GAIT])
def test_command_has_one_owner_across_a_resample(env_id):
    """info["command"], the observation's command entries, the command the reward scores, the recorded rollout's
    command and the command the metrics use are the same at every step, including at the 1 s resample."""
    env = gym.make(env_id, command_resample_s=1.0, init_joint_noise_rad=0.0)
    try:
        base = env.unwrapped
        controller = _Recorder(base.observation_layout)
        infos, observations, rewards = [], [], []
        step = env.step

        def spy(action):
            result = step(action)
            observations.append(result[0])
            infos.append(result[-1])
            state = base.robot_state
            rewards.append(reward_shapes.tracking_reward(state.base_lin_vel_body[:2] - result[-1]["command"][:2],
                                                         reward_shapes.TRACKING_SIGMA_MPS))
            return result

        env.step = spy
        rollout = run_episode(env, controller, seconds=2.5, seed=4)
        commands = np.array([info["command"] for info in infos])
        assert len({tuple(c) for c in commands}) == 3  # two resamples happened
        obs_commands = np.array([o[base.observation_layout["command"]] for o in observations], dtype=float)
        np.testing.assert_allclose(obs_commands, commands, rtol=0, atol=1e-6)  # float32 in the observation
        np.testing.assert_array_equal(rollout.command, commands)
        # the reward scored each step against info["command"] of that step
        weight = base.reward_weights["lin_vel_tracking"]
        scored = [info["reward_terms"]["lin_vel_tracking"] / weight for info in infos]
        np.testing.assert_allclose(scored, rewards, rtol=1e-12)
        # the controller acted on the command of the previous step's info (= the observation it was given)
        for k, (given, observed) in enumerate(controller.seen[1:]):
            np.testing.assert_array_equal(given, commands[k])
            np.testing.assert_allclose(observed, commands[k], atol=1e-6)
        # the metrics score against the recorded command
        error = np.mean(np.linalg.norm(rollout.base_lin_vel_body[:, :2] - commands[:, :2], axis=1))
        assert metrics.tracking_error_xy_mps(rollout) == pytest.approx(error)
    finally:
        env.close()


def test_heading_mode_turns_towards_the_heading_and_schedule_switches_commands():
    episode = run_controller("trot", seconds=6.0, seed=0, options={"command": (0.3, 0.0, 0.0), "heading_rad": 0.6})
    yaw = episode.rollout.base_rpy[:, 2]
    assert abs(yaw[-1] - 0.6) < 0.15  # the yaw-rate command came from the heading error
    assert episode.rollout.command[0, 2] > 0.3 and abs(episode.rollout.command[-1, 2]) < 0.15
    schedule = [(0.0, 0.4, 0.0, 0.0), (2.0, 0.4, 0.0, 0.5)]
    r = run_controller("trot", seconds=4.0, seed=0, options={"command_schedule": schedule}).rollout
    np.testing.assert_array_equal(r.command[r.time_s < 1.99], [[0.4, 0.0, 0.0]] * int((r.time_s < 1.99).sum()))
    assert np.all(r.command[r.time_s > 2.01, 2] == 0.5)


def _mean_gait_contact(gait_command: str) -> float:
    env = gym.make(GAIT)
    try:
        obs, _ = env.reset(seed=0, options={"gait": gait_command, "command": (0.5, 0.0, 0.0)})
        trot = make_controller("trot", env)
        trot.reset()
        scores = []
        for _ in range(500):
            state = env.unwrapped.robot_state
            obs, _, terminated, _, info = env.step(trot.act(obs, state, state.time_s, env.unwrapped.command))
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
