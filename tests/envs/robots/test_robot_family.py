"""Every registered quadruped is a first-class robot: pinned URDF facts, standing, checkers, kinematics, trotting."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from envs import metrics
from envs._pybullet import BulletClient, pybullet, quiet_stdout
from envs.gaits.kinematics import foot_positions_body, forward_kinematics, inverse_kinematics, standing_base_height_m
from envs.gaits.scaling import froude_speed_mps
from envs.robots import DEFAULT_ROBOT, ROBOTS, get_robot
from envs.robots.urdf_files import resolve_robot_urdf
from envs.rollout import run_controller

FAMILY = ["laikago_fast", "a1", "aliengo", "mini_cheetah"]

# Read once from PyBullet (URDF_USE_INERTIA_FROM_FILE); joints = all PyBullet joints, fixed ones included.
PINNED = {
    #               joints, total mass kg
    "laikago_fast": (16, 25.567),  # 12 revolute + 4 fixed toes
    "a1": (21, 12.458),  # 12 revolute + imu + 4 hip->shoulder collision links + 4 toes
    "aliengo": (17, 20.638),  # 12 revolute (thighs "continuous") + imu + 4 toes
    "mini_cheetah": (16, 8.852),  # 12 revolute (all "continuous") + 4 toes
}


def _load(client: BulletClient, robot, **kwargs) -> int:
    with quiet_stdout():  # the Mini Cheetah URDF makes PyBullet print inertia warnings
        return client.loadURDF(resolve_robot_urdf(robot), flags=pybullet.URDF_USE_INERTIA_FROM_FILE, **kwargs)


@pytest.fixture
def client():
    c = BulletClient(connection_mode=pybullet.DIRECT)
    yield c
    c.disconnect()


def test_family_is_registered_and_laikago_fast_stays_default():
    assert set(FAMILY) <= set(ROBOTS)
    assert DEFAULT_ROBOT == "laikago_fast"


@pytest.mark.parametrize("name", FAMILY)
def test_pinned_joint_link_counts_and_mass(client, name):
    robot = get_robot(name)
    body = _load(client, robot)
    infos = [client.getJointInfo(body, j) for j in range(client.getNumJoints(body))]
    joints, mass = PINNED[name]
    assert len(infos) == joints
    revolute = [i[1].decode() for i in infos if i[2] == pybullet.JOINT_REVOLUTE]
    assert len(revolute) == 12 and sorted(revolute) == sorted(robot.urdf_joint_names)
    # Feet are links of their own, fixed to the calf: 4 of them, each the child of a fixed joint.
    feet = [i for i in infos if i[12].decode() in robot.foot_link_names]
    assert len(feet) == 4 and all(i[2] == pybullet.JOINT_FIXED for i in feet)
    links = {i[12].decode() for i in infos}
    assert set(robot.body_contact_links) <= links
    total_mass = sum(client.getDynamicsInfo(body, link)[0] for link in range(-1, len(infos)))
    assert total_mass == pytest.approx(mass, abs=1e-3)


@pytest.mark.parametrize("name", FAMILY)
def test_feet_get_the_described_friction(make_env, name):
    env = make_env(robot=name)
    sim = env.unwrapped.sim
    robot = sim.robot
    for link in sim.foot_link_ids:
        info = sim.client.getDynamicsInfo(sim.robot_id, link)
        assert info[7] == pytest.approx(robot.foot_spinning_friction)
        if robot.foot_lateral_friction is not None:
            assert info[1] == pytest.approx(robot.foot_lateral_friction)
    # Every robot's feet end up with the Laikago's coefficient, so ground_friction means the same for all of them.
    assert sim.client.getDynamicsInfo(sim.robot_id, sim.foot_link_ids[0])[1] == pytest.approx(1.0)


@pytest.mark.parametrize("name", FAMILY)
def test_zero_action_stands_for_10_s(make_env, name):
    env = make_env(robot=name)
    env.reset(seed=0)
    nominal = standing_base_height_m(get_robot(name))
    heights = []
    for _ in range(500):  # 10 s at 50 Hz
        _, _, terminated, truncated, _ = env.step(np.zeros(12, np.float32))
        assert not terminated and not truncated
        heights.append(env.unwrapped.robot_state.base_height_m)
    # PD sag under the body weight is 4-7 mm on every robot (kp scales with m·L).
    assert abs(np.mean(heights[-100:]) - nominal) < 0.02
    assert np.ptp(heights[-250:]) < 0.005  # settled, not oscillating
    state = env.unwrapped.robot_state
    assert state.foot_contacts.all() and state.upright > 0.99


@pytest.mark.parametrize("name", FAMILY)
def test_both_checkers_pass_without_warnings(make_env, name):
    env = make_env(robot=name)
    gym_check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env.unwrapped, warn=True)


@pytest.mark.parametrize("name", FAMILY)
def test_ik_fk_round_trip_within_1mm_at_random_angles(name):
    robot = get_robot(name)
    rng = np.random.default_rng(11)
    l1, l2 = robot.thigh_length_m, robot.calf_length_m
    checked = 0
    for _ in range(300):
        q = rng.uniform(robot.lower_limits, robot.upper_limits)
        target = forward_kinematics(robot, q)
        legs = q.reshape(4, 3)
        z_plane = -l1 * np.cos(legs[:, 1]) - l2 * np.cos(legs[:, 1] + legs[:, 2])
        reach = np.hypot(target[:, 0], z_plane)
        # Skip the two singular sets IK deliberately clamps: the leg horizontal in its plane (abduction angle
        # undefined) and the straight-leg rim.
        regular = (np.abs(z_plane) > 0.005) & (reach < 0.99 * robot.leg_length_m)
        result = inverse_kinematics(robot, target)
        assert not result.clamped[regular].any()
        error = np.abs(forward_kinematics(robot, result.joint_angles) - target).max(axis=1)
        assert np.all(error[regular] < 1e-3)
        checked += int(regular.sum())
    assert checked > 1100


@pytest.mark.parametrize("name", FAMILY)
def test_fk_matches_pybullet_foot_positions_within_2mm(client, name):
    robot = get_robot(name)
    body = _load(client, robot, basePosition=[0, 0, 1], useFixedBase=True)
    infos = [client.getJointInfo(body, j) for j in range(client.getNumJoints(body))]
    index = {i[1].decode(): i[0] for i in infos}
    links = {i[12].decode(): i[0] for i in infos}
    rng = np.random.default_rng(7)
    for _ in range(50):
        q = rng.uniform(robot.lower_limits, robot.upper_limits)
        for joint_name, angle in zip(robot.urdf_joint_names, robot.controller_to_urdf(q), strict=True):
            client.resetJointState(body, index[joint_name], float(angle))
        feet = np.array([client.getLinkState(body, links[n], computeForwardKinematics=True)[4]
                         for n in robot.foot_link_names]) - np.array([0, 0, 1])
        np.testing.assert_allclose(foot_positions_body(robot, q), feet, atol=2e-3)


@pytest.mark.parametrize("name", FAMILY)
def test_scripted_trot_walks_at_60_percent_of_a_froude_scaled_speed(name):
    robot = get_robot(name)
    speed = froude_speed_mps(robot, 0.5)  # 0.5 m/s on the Laikago, same Froude number on the others
    r = run_controller("trot", seconds=20.0, seed=0, command=(speed, 0.0, 0.0), settings={"robot": name}).rollout
    assert not r.fell, f"{name} fell at {r.fall_time_s} s"
    assert metrics.duration_s(r) == pytest.approx(20.0)
    achieved = metrics.forward_distance_m(r) / 20.0  # includes the 1 s start-up ramp
    assert achieved >= 0.6 * speed, f"{name}: {achieved:.3f} m/s for {speed:.3f} commanded"
    assert metrics.heading_drift_deg(r) < 15.0
