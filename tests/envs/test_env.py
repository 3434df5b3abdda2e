"""LaikagoWalk-v0 behaviour: checkers, determinism, standing, termination, truncation, layout, rendering."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from envs.gaits.kinematics import standing_base_height_m
from envs.robots import get_robot


@pytest.mark.parametrize("robot", ["laikago_fast", "laikago"])
def test_both_checkers_pass_without_warnings(make_env, robot):
    env = make_env(robot=robot)
    # pytest runs with warnings as errors, so any checker warning fails the test. The render check is skipped
    # because the checker would open render_mode="human" (a GUI window); rgb_array is tested below.
    gym_check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env.unwrapped, warn=True)


def test_same_seed_same_actions_identical_for_500_steps(make_env):
    a, b = make_env(), make_env()
    actions = np.random.default_rng(3).uniform(-0.5, 0.5, (500, 12)).astype(np.float32)
    obs_a, _ = a.reset(seed=11)
    obs_b, _ = b.reset(seed=11)
    np.testing.assert_array_equal(obs_a, obs_b)
    for act in actions:
        ra = a.step(act)
        rb = b.step(act)
        np.testing.assert_array_equal(ra[0], rb[0])
        assert ra[1:4] == rb[1:4]
        if ra[2] or ra[3]:
            a.reset(seed=5)
            b.reset(seed=5)


def test_reset_with_seed_is_independent_of_history(make_env):
    fresh = make_env()
    used = make_env()
    used.reset(seed=1)
    for _ in range(60):
        used.step(used.action_space.sample())
    trajectories = []
    for env in (fresh, used):
        obs, _ = env.reset(seed=42)
        rows = [obs]
        for k in range(100):
            rows.append(env.step(np.full(12, 0.3 * np.sin(k / 5), np.float32))[0])
        trajectories.append(np.array(rows))
    np.testing.assert_array_equal(*trajectories)


def test_different_seeds_give_different_initial_states(make_env):
    env = make_env()
    assert not np.array_equal(env.reset(seed=1)[0], env.reset(seed=2)[0])


def test_returned_observations_are_fresh_arrays(make_env):
    env = make_env()
    obs, _ = env.reset(seed=0)
    obs2 = env.step(np.zeros(12, np.float32))[0]
    obs2[:] = 123.0
    obs3 = env.step(np.zeros(12, np.float32))[0]
    assert not np.any(obs3 == 123.0)


def test_zero_action_stands_for_10_s(make_env):
    env = make_env()
    env.reset(seed=0)
    robot = get_robot("laikago_fast")
    nominal = standing_base_height_m(robot)
    heights = []
    for _ in range(500):  # 10 s at 50 Hz
        _, _, terminated, truncated, _ = env.step(np.zeros(12, np.float32))
        assert not terminated and not truncated
        heights.append(env.unwrapped.robot_state.base_height_m)
    assert abs(np.mean(heights[-100:]) - nominal) < 0.02
    assert np.ptp(heights[-250:]) < 0.005  # settled, not oscillating
    state = env.unwrapped.robot_state
    assert state.foot_contacts.all() and state.upright > 0.99


def test_upside_down_robot_terminates(make_env):
    env = make_env()
    env.reset(seed=0)
    sim = env.unwrapped.sim
    robot = env.unwrapped.robot
    sim.reset([0, 0, 0.5], [1.0, 0.0, 0.0, 0.0], robot.standing_angles)  # rolled by pi
    _, _, terminated, truncated, info = env.step(np.zeros(12, np.float32))
    assert terminated and not truncated
    assert info["failure"] in ("tipped", "body_contact")


def test_full_episode_truncates_at_20_s(make_env):
    env = make_env()
    env.reset(seed=0)
    steps = 0
    while True:
        _, _, terminated, truncated, info = env.step(np.zeros(12, np.float32))
        steps += 1
        assert not terminated
        if truncated:
            break
    assert steps == 1000
    assert info["time_s"] == pytest.approx(20.0)


def test_episode_length_setting(make_env):
    env = make_env(max_episode_steps=25, control_hz=25.0, physics_hz=250.0)
    env.reset(seed=0)
    flags = [env.step(np.zeros(12, np.float32))[3] for _ in range(25)]
    assert flags[-1] and not any(flags[:-1])


def test_observation_layout_is_published_and_consistent(make_env):
    env = make_env()
    layout = env.unwrapped.observation_layout
    assert list(layout) == ["projected_gravity", "base_ang_vel_body", "base_lin_vel_body", "joint_angles_rel",
                            "joint_velocities", "last_action", "target_speed"]
    assert sum(s.stop - s.start for s in layout.values()) == env.observation_space.shape[0] == 46
    obs, _ = env.reset(seed=0)
    np.testing.assert_allclose(obs[layout["projected_gravity"]], [0, 0, -1], atol=1e-3)
    assert obs[layout["target_speed"]][0] == pytest.approx(0.5)
    action = np.linspace(-0.5, 0.5, 12, dtype=np.float32)
    obs = env.step(action)[0]
    np.testing.assert_allclose(obs[layout["last_action"]], action)
    state = env.unwrapped.robot_state
    np.testing.assert_allclose(obs[layout["base_lin_vel_body"]], state.base_lin_vel_body, atol=1e-5)


def test_action_maps_to_clipped_joint_targets(make_env):
    env = make_env(action_scale=0.5)
    env.reset(seed=0)
    robot = env.unwrapped.robot
    action = np.zeros(12, np.float32)
    action[2] = 0.6  # FR calf: standing -1.25 + 0.3
    for _ in range(50):
        env.step(action)
    q = env.unwrapped.robot_state.joint_angles
    assert q[2] == pytest.approx(robot.standing_angles[2] + 0.3, abs=0.05)


def test_torque_mode_applies_scaled_torques(make_env):
    env = make_env(motor_control="torque")
    env.reset(seed=0)
    action = np.zeros(12, np.float32)
    action[0] = 0.5
    env.step(action)
    torques = env.unwrapped.robot_state.joint_torques
    assert torques[0] == pytest.approx(0.5 * get_robot("laikago_fast").torque_limits[0])
    assert np.all(torques[1:] == 0.0)


def test_rgb_array_render(make_env):
    env = make_env(render_mode="rgb_array", render_width=64, render_height=48)
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (48, 64, 3) and frame.dtype == np.uint8
    assert frame.std() > 1.0  # not a blank image


def test_human_render_without_display_fails_politely(monkeypatch):
    # Without a display the registered envs do not offer "human" (so Gymnasium's checker passes headless); the
    # env class itself still refuses it with a clear message.
    from envs.env import QuadrupedEnv

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(RuntimeError, match="needs a display"):
        QuadrupedEnv(render_mode="human")


def test_payload_adds_mass(make_env):
    plain, loaded = make_env(), make_env(added_base_mass_kg=5.0)
    assert loaded.unwrapped.sim.total_mass_kg == pytest.approx(plain.unwrapped.sim.total_mass_kg + 5.0)


def test_pushes_come_at_the_interval_and_move_the_robot(make_env):
    pushed = make_env(push_impulse_ns=40.0, push_interval_s=1.0)
    calm = make_env()
    pushed.reset(seed=3)
    calm.reset(seed=3)
    push_times = []
    for _ in range(75):  # 1.5 s
        info = pushed.step(np.zeros(12, np.float32))[-1]
        calm.step(np.zeros(12, np.float32))
        if info["push_impulse_ns"] is not None:
            push_times.append(info["time_s"])
            assert np.linalg.norm(info["push_impulse_ns"]) == pytest.approx(40.0)
    assert push_times == [pytest.approx(1.02)]  # applied in the step starting at t = 1.0 s
    # A 40 N·s push on a 25.6 kg robot changes its velocity by ~1.6 m/s; the calm twin barely moves.
    moved = np.linalg.norm(pushed.unwrapped.robot_state.base_position_world[:2])
    still = np.linalg.norm(calm.unwrapped.robot_state.base_position_world[:2])
    assert moved > 0.1 > still
