"""Domain randomization, height scan and terrain curriculum: off by default, and each does what it says."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from envs.randomization import RandomizationSample, TerrainCurriculum, sample


def _make(**kwargs):
    return gym.make("quadgait/LaikagoWalk-v0", **kwargs)


def test_nothing_is_randomized_by_default():
    env = _make()
    try:
        env.reset(seed=0)
        info = env.step(np.zeros(12, np.float32))[-1]
        sim = env.unwrapped.sim
        assert env.unwrapped.world.sample is None and "randomization" not in info["privileged"]
        assert sim.payload_id is None
        assert sim.client.getDynamicsInfo(sim.ground_id, -1)[1] == pytest.approx(1.0)
        np.testing.assert_array_equal(sim._tau_max, env.unwrapped.robot.torque_limits)
        assert env.observation_space.shape == (46,)
    finally:
        env.close()


def test_each_randomization_changes_what_it_says():
    env = _make(domain_randomization=True)
    try:
        env.reset(seed=7)
        s = env.unwrapped.world.sample
        sim, robot = env.unwrapped.sim, env.unwrapped.robot
        assert sim.client.getDynamicsInfo(sim.ground_id, -1)[1] == pytest.approx(s.friction)
        assert sim.client.getDynamicsInfo(sim.payload_id, -1)[0] == pytest.approx(max(s.payload_kg, 1e-3))
        np.testing.assert_allclose(sim._tau_max, np.array(robot.torque_limits) * s.motor_strength)
        np.testing.assert_allclose(sim._kp, np.array(robot.kp) * s.kp_scale)
        np.testing.assert_allclose(sim._kd, np.array(robot.kd) * s.kd_scale)
        # The payload sits at its sampled offset on the base.
        base = np.array(sim.client.getBasePositionAndOrientation(sim.robot_id)[0])
        payload = np.array(sim.client.getBasePositionAndOrientation(sim.payload_id)[0])
        np.testing.assert_allclose(payload[:2] - base[:2], s.com_shift_m, atol=2e-3)
        info = env.step(np.zeros(12, np.float32))[-1]
        assert info["privileged"]["randomization"]["friction"] == pytest.approx(s.friction)
        assert info["privileged"]["ground_friction"] == pytest.approx(s.friction)  # what is in effect
        other = _make(domain_randomization=True)
        other.reset(seed=7)
        assert other.unwrapped.world.sample == s  # seeded
        other.reset(seed=8)
        assert other.unwrapped.world.sample != s
        other.close()
    finally:
        env.close()


def test_latency_delays_actions_and_noise_perturbs_observations():
    env = _make(domain_randomization=True)
    try:
        env.reset(seed=0)
        world = env.unwrapped.world
        world.sample = RandomizationSample(1.0, 0.0, (0.0, 0.0), 1.0, 1.0, 1.0, latency_steps=2,
                                           observation_noise=0.0)
        world._pending.clear()
        a1, a2, a3 = (np.full(12, v) for v in (0.1, 0.2, 0.3))
        assert np.all(world.delay(a1) == 0) and np.all(world.delay(a2) == 0)
        np.testing.assert_array_equal(world.delay(a3), a1)
        world.sample = RandomizationSample(1.0, 0.0, (0.0, 0.0), 1.0, 1.0, 1.0, 0, observation_noise=0.02)
        clean = np.zeros(46, np.float32)
        noisy = world.noisy(clean, np.random.default_rng(0), env.unwrapped.observation_layout)
        assert 0.005 < np.std(noisy[:3]) < 0.05  # angle-like entries: std 0.02
        assert np.std(noisy[env.unwrapped.observation_layout["joint_velocities"]]) > 0.1  # velocities: x10
    finally:
        env.close()


def test_sample_ranges():
    rng = np.random.default_rng(0)
    draws = [sample(rng) for _ in range(200)]
    assert min(d.friction for d in draws) >= 0.5 and max(d.friction for d in draws) <= 1.25
    assert {d.latency_steps for d in draws} == {0, 1, 2}


def test_height_scan_sees_the_stairs_ahead():
    env = _make(terrain="stairs:4", height_scan=True)
    try:
        obs, _ = env.reset(seed=0)
        layout = env.unwrapped.observation_layout
        assert obs.shape == (46 + 45,)
        scan = obs[layout["height_scan"]].reshape(9, 5)
        # Columns of constant x; the first step (0.1 m) starts at x = 1 m, i.e. the last scan rows (x = 0.8 m) sit
        # before it, so teleport the robot half a metre forward to put the step under the scan.
        sim = env.unwrapped.sim
        sim.client.resetBasePositionAndOrientation(sim.robot_id, [0.6, 0, 0.48], [0, 0, 0, 1])
        obs = env.step(np.zeros(12, np.float32))[0]
        scan = obs[layout["height_scan"]].reshape(9, 5)
        assert scan[-1].mean() < scan[0].mean() - 0.15  # ground ahead is ~0.1 m higher
        flat = _make(height_scan=True)
        flat_scan = flat.reset(seed=0)[0][flat.unwrapped.observation_layout["height_scan"]]
        assert np.ptp(flat_scan) < 1e-6
        flat.close()
    finally:
        env.close()


def test_curriculum_levels_up_after_a_long_walk_and_down_after_a_short_one():
    curriculum = TerrainCurriculum(level=3)
    assert curriculum.update(9.0, 10.0) == 4
    assert curriculum.update(5.0, 10.0) == 4
    assert curriculum.update(1.0, 10.0) == 3
    env = _make(terrain="rough:2", terrain_curriculum=True, max_episode_steps=100)
    try:
        env.reset(seed=0)
        for _ in range(10):
            env.step(np.zeros(12, np.float32))  # stands still: far short of 0.5 m/s × 0.2 s
        env.reset(seed=0)
        assert env.unwrapped.sim.terrain.name == "rough:1"
        for _ in range(10):
            env.step(np.zeros(12, np.float32))
        sim = env.unwrapped.sim
        sim.client.resetBasePositionAndOrientation(sim.robot_id, [5.0, 0, 0.48], [0, 0, 0, 1])
        env.step(np.zeros(12, np.float32))
        env.reset(seed=0)
        assert env.unwrapped.sim.terrain.name == "rough:2"
        assert env.unwrapped.step(np.zeros(12, np.float32))[-1]["privileged"]["terrain"] == "rough:2"
    finally:
        env.close()
