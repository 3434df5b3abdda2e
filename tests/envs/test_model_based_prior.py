"""The model-based prior action map (``"model_based"``, ``LaikagoSteerPrior-v0``): the controller underneath follows the
task's command with a zero action, the action shifts the command it follows, and the turn feed-forward removes the
velocity lag of a steady turn."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env

from envs.rollout import run_episode

STEER = "quadgait/LaikagoSteerPrior-v0"


class Constant:
    """A controller that always sends the same action."""

    name = "constant"

    def __init__(self, action) -> None:
        self.action = np.asarray(action, dtype=np.float32)

    def reset(self) -> None:
        pass

    def act(self, observation, state, time_s, command):
        return self.action


def _steady(rollout, start_s=2.0):
    window = rollout.time_s >= start_s
    v = rollout.base_lin_vel_body[window, :2].mean(axis=0)
    return v, float(rollout.base_ang_vel_body[window, 2].mean())


def _run(action, command, seconds=6.0, **settings):
    env = gym.make(STEER, max_episode_steps=int(seconds * 50), **settings)
    try:
        return run_episode(env, Constant(action), seconds, seed=0, options={"command": command})
    finally:
        env.close()


def test_layout_and_checker():
    env = gym.make(STEER)
    try:
        base = env.unwrapped
        assert base.action_layout == ("vx_offset", "vy_offset", "yaw_rate_offset")
        names = list(base.observation_layout)
        assert "leg_phase_sin" in names and "leg_phase_cos" in names and "command" in names
        gym_check_env(base, skip_render_check=True)
    finally:
        env.close()


def test_zero_action_follows_a_turning_command():
    rollout = _run([0.0, 0.0, 0.0], (0.6, 0.0, 0.6))
    assert not rollout.fell
    v, yaw_rate = _steady(rollout)
    assert v[0] == pytest.approx(0.6, abs=0.05) and abs(v[1]) < 0.05
    assert yaw_rate == pytest.approx(0.6, abs=0.05)


def test_turn_feedforward_removes_the_lag_of_a_steady_turn():
    command = (0.7, 0.0, 0.7)
    errors = {}
    for feedforward in (True, False):
        v, _ = _steady(_run([0.0, 0.0, 0.0], command, seconds=8.0, turn_feedforward=feedforward),
                       start_s=4.0)
        errors[feedforward] = float(np.hypot(v[0] - command[0], v[1] - command[1]))
    assert errors[True] < 0.6 * errors[False]  # measured: 0.044 vs 0.102 m/s


def test_the_action_offsets_the_command_the_controller_follows():
    still = _run([0.0, 0.0, 0.0], (0.0, 0.0, 0.0))
    pushed = _run([1.0, 0.0, 0.0], (0.0, 0.0, 0.0))  # vx offset 0.3 m/s at +1
    assert not still.fell and not pushed.fell
    assert abs(_steady(still)[0][0]) < 0.05
    assert _steady(pushed)[0][0] == pytest.approx(0.3, abs=0.06)


def test_bad_settings_are_refused_with_the_valid_choices():
    with pytest.raises(ValueError, match="gait"):
        gym.make(STEER, gait="moonwalk")
    with pytest.raises(ValueError, match="stand_s"):
        gym.make(STEER, stand_s=-1.0)


def test_zero_action_controller_is_the_prior_alone():
    from envs.controllers import ZeroAction

    with pytest.raises(ValueError, match="at least 1"):
        ZeroAction(0)
    zero = ZeroAction(3)
    assert zero.act(None, None, 0.0, None).tolist() == [0.0, 0.0, 0.0]
    runs = []
    for controller in (zero, Constant([0.0, 0.0, 0.0])):
        env = gym.make(STEER, max_episode_steps=150)
        try:
            runs.append(run_episode(env, controller, 3.0, seed=0, options={"command": (0.5, 0.0, 0.0)}))
        finally:
            env.close()
    np.testing.assert_array_equal(runs[0].base_lin_vel_body, runs[1].base_lin_vel_body)


def test_a_reused_env_repeats_an_episode_exactly():
    """The second episode with the same seed in the same env equals the first: reset must not leave the previous
    episode's foot contacts in the state the model-based controller reads first (it once did)."""
    env = gym.make(STEER, max_episode_steps=100)
    try:
        runs = [run_episode(env, Constant([0.0, 0.0, 0.0]), 2.0, seed=0, options={"command": (0.5, 0.0, 0.0)})
                for _ in range(2)]
    finally:
        env.close()
    np.testing.assert_array_equal(runs[0].base_lin_vel_body, runs[1].base_lin_vel_body)
    np.testing.assert_array_equal(runs[0].foot_contacts, runs[1].foot_contacts)
