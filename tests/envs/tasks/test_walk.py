"""The reward is the sum of its named, weighted terms, and each term moves the right way."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from envs.state import RobotState
from envs.tasks import common, walk


def _state(**overrides) -> RobotState:
    base = dict(
        time_s=0.0, base_position_world=np.array([0, 0, 0.45]), base_quaternion_world=np.array([0, 0, 0, 1.0]),
        base_rpy=np.zeros(3), projected_gravity_body=np.array([0, 0, -1.0]), base_lin_vel_world=np.zeros(3),
        base_lin_vel_body=np.zeros(3), base_ang_vel_world=np.zeros(3), base_ang_vel_body=np.zeros(3),
        joint_angles=np.zeros(12), joint_velocities=np.zeros(12), joint_torques=np.zeros(12),
        foot_contacts=np.ones(4, bool), foot_normal_forces=np.full(4, 60.0), foot_positions_world=np.zeros((4, 3)),
        body_ground_contact=False)
    base.update(overrides)
    return RobotState(**base)


def _terms(state, action=None, prev=None, target=0.5):
    action = np.zeros(12) if action is None else action
    prev = np.zeros(12) if prev is None else prev
    return walk.reward_terms(state, action, prev, target)


def test_env_reward_equals_sum_of_info_terms(make_env):
    env = make_env()
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(50):
        _, reward, *_, info = env.step(rng.uniform(-0.3, 0.3, 12).astype(np.float32))
        assert set(info["reward_terms"]) == set(walk.REWARD_TERMS)
        assert reward == pytest.approx(sum(info["reward_terms"].values()), abs=1e-12)


def test_zero_weight_switches_a_term_off(make_env):
    env = make_env(reward_weights={"alive": 0.0, "energy": 0.0})
    env.reset(seed=0)
    info = env.step(np.full(12, 0.2, np.float32))[-1]
    assert info["reward_terms"]["alive"] == 0.0 and info["reward_terms"]["energy"] == 0.0


def test_tracking_rises_toward_target_speed():
    slow = _terms(_state(base_lin_vel_body=np.array([0.1, 0, 0])))["tracking"]
    closer = _terms(_state(base_lin_vel_body=np.array([0.4, 0, 0])))["tracking"]
    exact = _terms(_state(base_lin_vel_body=np.array([0.5, 0, 0])))["tracking"]
    too_fast = _terms(_state(base_lin_vel_body=np.array([0.9, 0, 0])))["tracking"]
    assert slow < closer < exact == pytest.approx(1.0)
    assert too_fast < exact


def test_drift_orientation_energy_and_action_rate_penalise():
    level = _terms(_state())
    assert _terms(_state(base_lin_vel_body=np.array([0, 0.3, 0])))["lateral_drift"] < level["lateral_drift"]
    assert _terms(_state(base_ang_vel_body=np.array([0, 0, 0.5])))["yaw_drift"] < level["yaw_drift"]
    assert _terms(_state(base_rpy=np.array([0, 0, 0.3])))["yaw_drift"] < level["yaw_drift"]
    tilted = _state(projected_gravity_body=np.array([0.3, 0, -0.95]))
    assert _terms(tilted)["orientation"] < level["orientation"]
    working = _state(joint_torques=np.full(12, 5.0), joint_velocities=np.full(12, 2.0))
    assert _terms(working)["energy"] == pytest.approx(-120.0)
    assert _terms(_state(), action=np.ones(12))["action_rate"] == pytest.approx(-12.0)
    assert level["alive"] == 1.0


def test_failure_reasons():
    assert common.failure_reason(_state()) is None
    assert common.failure_reason(_state(projected_gravity_body=np.array([0.9, 0, -0.3]))) == "tipped"
    assert common.failure_reason(_state(body_ground_contact=True)) == "body_contact"
    assert common.failure_reason(_state(base_lin_vel_world=np.array([np.nan, 0, 0]))) == "physics"
    assert common.failure_reason(_state(base_ang_vel_world=np.array([0, 500.0, 0]))) == "physics"


def test_unknown_reward_term_lists_valid():
    with pytest.raises(ValueError, match="unknown reward term 'speed'.*tracking"):
        common.resolve_reward_weights({"speed": 1.0}, walk.DEFAULT_REWARD_WEIGHTS)
    with pytest.raises(ValueError, match="finite"):
        common.resolve_reward_weights({"alive": float("nan")}, walk.DEFAULT_REWARD_WEIGHTS)
    assert dataclasses.is_dataclass(_state())
