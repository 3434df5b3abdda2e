"""The MuJoCo twin behaves like the PyBullet robot (behaviour, not timing): same mass and inertia, same standing
height, the same trots land within the bands below, the same env interface, and the same seed gives the same
episode. ``docs/sim-to-sim.md`` has the measured numbers."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("mujoco", reason="the MuJoCo twin needs the optional extra: pip install 'quadgait[mujoco]'")

import envs  # noqa: E402,F401  (registers the ids)
from envs.engine import Engine, make_engine  # noqa: E402
from envs.mujoco_sim import MujocoSimulation, euler_from_quaternion  # noqa: E402
from envs.robots import get_robot  # noqa: E402
from envs.rollout import run_controller  # noqa: E402
from envs.sim import PhysicsSettings, Simulation  # noqa: E402

#: Parity bands (issue 21): standing height within 5 mm; trot distance over 20 s within 15%. Duty factor and cost
#: of transport get bands of their own, stated here: duty factor within 0.05 (absolute), cost of transport within 20%.
STANDING_HEIGHT_BAND_M = 0.005
DISTANCE_BAND = 0.15
DUTY_FACTOR_BAND = 0.05
COST_OF_TRANSPORT_BAND = 0.20
TROT_COMMAND = (0.5, 0.0, 0.0)


def _settings() -> PhysicsSettings:
    return PhysicsSettings(physics_hz=250.0, visual_shapes=False)


def _stand(engine: str, seconds: float = 2.0) -> float:
    robot = get_robot("laikago_fast")
    sim = make_engine(engine, robot, _settings())
    try:
        sim.reset(np.array([0.0, 0.0, robot.spawn_height_m]), np.array([0.0, 0.0, 0.0, 1.0]), robot.standing_angles)
        for _ in range(int(round(seconds * 50))):
            sim.step_position(robot.standing_angles, 5)
        state = sim.state()
        assert state.foot_contacts.all() and not state.body_ground_contact
        return state.base_height_m
    finally:
        sim.close()


def test_both_engines_implement_the_engine_interface():
    robot = get_robot("laikago_fast")
    for engine, cls in (("pybullet", Simulation), ("mujoco", MujocoSimulation)):
        sim = make_engine(engine, robot, _settings())
        try:
            assert isinstance(sim, cls) and isinstance(sim, Engine)
        finally:
            sim.close()


def test_same_total_mass_and_link_inertias():
    robot = get_robot("laikago_fast")
    bullet, twin = Simulation(robot, _settings()), MujocoSimulation(robot, _settings())
    try:
        assert twin.total_mass_kg == pytest.approx(bullet.total_mass_kg, rel=1e-9)
        p = bullet.client
        names = {-1: p.getBodyInfo(bullet.robot_id)[0].decode()}
        names.update({j: p.getJointInfo(bullet.robot_id, j)[12].decode()
                      for j in range(p.getNumJoints(bullet.robot_id))})
        for link, name in names.items():
            mass, _, inertia = p.getDynamicsInfo(bullet.robot_id, link)[:3]
            body = twin.model.body(name)
            assert float(body.mass[0]) == pytest.approx(mass, rel=1e-9), name
            assert sorted(body.inertia) == pytest.approx(sorted(inertia), rel=1e-6), name
    finally:
        bullet.close()
        twin.close()


def test_standing_height_matches_pybullet():
    pybullet_m, mujoco_m = _stand("pybullet"), _stand("mujoco")
    assert abs(mujoco_m - pybullet_m) < STANDING_HEIGHT_BAND_M, (pybullet_m, mujoco_m)


def test_euler_angles_follow_pybullet():
    from envs._pybullet import pybullet

    rng = np.random.default_rng(0)
    for _ in range(20):
        q = rng.normal(size=4)
        q /= np.linalg.norm(q)
        np.testing.assert_allclose(euler_from_quaternion(q), pybullet.getEulerFromQuaternion(q.tolist()), atol=1e-9)


def _trot_pair(controller: str, seconds: float) -> dict[str, dict]:
    return {engine: run_controller(controller, seconds=seconds, seed=0, command=TROT_COMMAND,
                                   settings={"engine": engine}).summary for engine in ("pybullet", "mujoco")}


def _assert_within_bands(pair: dict[str, dict], seconds: float) -> None:
    bullet, twin = pair["pybullet"], pair["mujoco"]
    assert not bullet["fell"] and not twin["fell"], (bullet["fell"], twin["fell"])
    assert twin["duration_s"] == pytest.approx(seconds, abs=0.05)
    gap = abs(twin["distance_m"] - bullet["distance_m"]) / bullet["distance_m"]
    assert gap < DISTANCE_BAND, (bullet["distance_m"], twin["distance_m"])
    duty = (bullet["metrics"]["duty_factor_mean"], twin["metrics"]["duty_factor_mean"])
    assert abs(duty[1] - duty[0]) < DUTY_FACTOR_BAND, duty
    cot = (bullet["metrics"]["cost_of_transport"], twin["metrics"]["cost_of_transport"])
    assert abs(cot[1] - cot[0]) / cot[0] < COST_OF_TRANSPORT_BAND, cot


def test_scripted_trot_stays_up_20_s_and_lands_within_the_bands():
    _assert_within_bands(_trot_pair("trot", 20.0), 20.0)


def test_model_based_trot_short_run_within_the_bands():
    _assert_within_bands(_trot_pair("mpc-trot", 5.0), 5.0)


@pytest.mark.slow
def test_model_based_trot_stays_up_20_s_and_lands_within_the_bands():
    _assert_within_bands(_trot_pair("mpc-trot", 20.0), 20.0)


def _episode(env: gym.Env, seed: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    obs, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    observations, rewards = [obs], []
    for _ in range(steps):
        obs, reward, terminated, _, _ = env.step(env.action_space.sample() * 0.3)
        observations.append(obs)
        rewards.append(reward)
        if terminated:
            break
    return np.array(observations), np.array(rewards)


def test_same_seed_gives_the_same_episode_twice_in_mujoco():
    env = gym.make("quadgait/LaikagoWalk-v0", engine="mujoco", init_base_velocity_noise_mps=0.2)
    try:
        first, again, other = _episode(env, 3, 150), _episode(env, 3, 150), _episode(env, 4, 150)
    finally:
        env.close()
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0][0], other[0][0])  # the seed matters (initial joint noise)


@pytest.mark.parametrize("env_id", ["quadgait/LaikagoSteer-v0", "quadgait/LaikagoSteerPrior-v0"])
def test_same_observation_layout_action_meaning_command_and_reward_terms(env_id):
    bullet, twin = gym.make(env_id), gym.make(env_id, engine="mujoco")
    try:
        assert twin.unwrapped.observation_layout == bullet.unwrapped.observation_layout
        assert twin.unwrapped.action_layout == bullet.unwrapped.action_layout
        assert twin.observation_space == bullet.observation_space and twin.action_space == bullet.action_space
        _, info_b = bullet.reset(seed=5)
        _, info_t = twin.reset(seed=5)
        np.testing.assert_array_equal(info_t["command"], info_b["command"])  # the command comes from the seed
        zero = np.zeros(twin.action_space.shape, np.float32)
        _, reward_b, _, _, step_b = bullet.step(zero)
        _, reward_t, _, _, step_t = twin.step(zero)
        assert set(step_t) == set(step_b)
        assert set(step_t["reward_terms"]) == set(step_b["reward_terms"])
        assert reward_t == pytest.approx(sum(step_t["reward_terms"].values()))
    finally:
        bullet.close()
        twin.close()


def test_a_hard_push_ends_the_episode_in_both_engines():
    failures = {}
    for engine in ("pybullet", "mujoco"):
        env = gym.make("quadgait/LaikagoWalk-v0", engine=engine, push_impulse_ns=120.0, push_interval_s=0.5)
        try:
            env.reset(seed=0)
            for _ in range(200):
                _, _, terminated, _, info = env.step(np.zeros(12, np.float32))
                if terminated:
                    failures[engine] = info["failure"]
                    break
        finally:
            env.close()
    assert set(failures) == {"pybullet", "mujoco"}, failures
    assert all(f in ("tipped", "body_contact") for f in failures.values()), failures


@pytest.mark.parametrize("option", [{"terrain": "rough:1"}, {"height_scan": True}, {"domain_randomization": True},
                                    {"terrain_curriculum": True}, {"self_collision": True}])
def test_world_options_without_a_mujoco_counterpart_are_refused(option):
    with pytest.raises(ValueError, match="engine='mujoco' does not support .*; it supports flat terrain"):
        gym.make("quadgait/LaikagoWalk-v0", engine="mujoco", **option)


def test_unknown_engine_is_refused_naming_the_valid_ones():
    with pytest.raises(ValueError, match="valid engines: pybullet, mujoco"):
        gym.make("quadgait/LaikagoWalk-v0", engine="bullet")


def test_checkers_pass_and_frames_render_headless(monkeypatch):
    from gymnasium.utils.env_checker import check_env as gym_check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    monkeypatch.delenv("DISPLAY", raising=False)
    env = gym.make("quadgait/LaikagoWalk-v0", engine="mujoco", render_mode="rgb_array", render_width=64,
                   render_height=48)
    try:
        gym_check_env(env.unwrapped)
        sb3_check_env(env.unwrapped, warn=True)
        env.reset(seed=0)
        frame = env.render()
        assert frame.shape == (48, 64, 3) and frame.std() > 0
    finally:
        env.close()


@pytest.mark.parametrize("joint_speed_radps", [3.0, 25.0])
def test_the_motor_model_is_pybullets_pd_law_with_its_limits(joint_speed_radps):
    """One physics step from the same state: the twin applies the torques PyBullet's shell applies (PD law,
    torque limit, and no torque pushing further past the speed limit, 20 rad/s)."""
    robot = get_robot("laikago_fast")
    rng = np.random.default_rng(1)
    joints = robot.standing_angles + rng.uniform(-0.1, 0.1, 12)
    speeds = joint_speed_radps * rng.choice([-1.0, 1.0], 12)
    # Half the targets lie far ahead of the motion (the PD law pushes on), half behind it (it brakes).
    targets = joints + 0.5 * np.sign(speeds) * np.repeat([1.0, -1.0], 6)
    torques = {}
    for engine in ("pybullet", "mujoco"):
        sim = make_engine(engine, robot, _settings())
        try:
            sim.reset(np.array([0.0, 0.0, 1.0]), np.array([0.0, 0.0, 0.0, 1.0]), joints, joint_velocities=speeds)
            sim.step_position(targets, 1)
            torques[engine] = sim.state().joint_torques
        finally:
            sim.close()
    np.testing.assert_allclose(torques["mujoco"], torques["pybullet"], atol=1e-9)
    expected = np.clip(np.array(robot.kp) * (targets - joints) - np.array(robot.kd) * speeds,
                       -robot.torque_limit_array, robot.torque_limit_array)
    if joint_speed_radps > max(robot.velocity_limits):
        expected[expected * speeds > 0] = 0.0
        assert (expected == 0).any() and (expected != 0).any()  # both sides of the speed limit are exercised
    np.testing.assert_allclose(torques["mujoco"], expected, atol=1e-9)
