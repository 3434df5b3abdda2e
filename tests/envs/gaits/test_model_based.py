"""Model-based gaits: the stance-force QP's constraints, the URDF rigid-body model, the force plan, and the
controller in simulation (gait classes, flight phases, pushes, all four robots)."""

from __future__ import annotations

import functools
import math

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401
from envs import metrics
from envs._pybullet import BulletClient, pybullet, quiet_stdout
from envs.gait_analysis import circular_distance_cycles
from envs.gaits.controller import Controller
from envs.gaits.force_plan import ForcePlan
from envs.gaits.force_qp import ForceQPSettings, StanceForceQP
from envs.gaits.kinematics import forward_kinematics, leg_jacobian, standing_hip_height_m
from envs.gaits.model_based import (
    MODEL_BASED_ENV_SETTINGS,
    ModelBasedSettings,
    make_model_based_controller,
    rotation_from_quaternion,
)
from envs.gaits.model_based_presets import MODEL_BASED_GAITS, get_model_based_gait
from envs.gaits.rigid_body import rigid_body_model
from envs.gaits.scaling import froude_speed_mps
from envs.gaits.swing import raibert_footholds, swing_trajectory
from envs.robots import get_robot
from envs.robots.description import GRAVITY_MPS2
from envs.robots.urdf_files import resolve_robot_urdf
from envs.rollout import run_controller, run_episode

FAMILY = ["laikago_fast", "a1", "aliengo", "mini_cheetah"]
GAIT_WINDOW_S = 3.0  # after the 0.5 s stand and the 1 s start-up ramp


@functools.cache
def rollout(gait: str, vx: float, seconds: float, robot: str = "laikago_fast", seed: int = 0, yaw_rate: float = 0.0,
            **env_settings):
    """The built-in controller ``mpc-<gait>`` through the one rollout path (the env's task holds the command)."""
    return run_controller(f"mpc-{gait}", seconds=seconds, seed=seed, command=(vx, 0.0, yaw_rate),
                          settings={"robot": robot, **env_settings}).rollout


def summary(r):
    return metrics.summarize(r, gait_window_start_s=GAIT_WINDOW_S)


# --- the QP -----------------------------------------------------------------------------------


def _random_problem(rng, robot):
    q = robot.standing_angles + rng.uniform(-0.3, 0.3, 12)
    feet = forward_kinematics(robot, q) + robot.hip_positions
    com = np.array([-0.02, 0.0, -0.04]) + rng.uniform(-0.02, 0.02, 3)
    force_to_torque = -np.transpose(leg_jacobian(robot, q), (0, 2, 1))  # level body: world = body axes
    wrench = np.concatenate([rng.normal([0, 0, 250], [80, 80, 150]), rng.normal(0, 20, 3)])
    stance = rng.random(4) < 0.7
    return stance, feet - com, wrench, force_to_torque


def test_qp_forces_stay_in_the_friction_cone_and_normal_and_torque_bounds():
    robot = get_robot("laikago_fast")
    settings = ForceQPSettings(friction_coefficient=0.4, min_normal_force_n=5.0, max_normal_force_n=180.0)
    qp = StanceForceQP(settings)
    limits = robot.torque_limit_array.reshape(4, 3)
    rng = np.random.default_rng(0)
    solved = 0
    for _ in range(300):
        stance, feet, wrench, m = _random_problem(rng, robot)
        result = qp.solve(stance, feet, wrench, None, m, limits)
        f = result.forces_world
        solved += result.solved
        assert np.all(f[~stance] == 0.0)
        fz = f[stance, 2]
        assert np.all(fz >= settings.min_normal_force_n - 1e-6) and np.all(fz <= settings.max_normal_force_n + 1e-6)
        assert np.all(np.hypot(f[stance, 0], f[stance, 1]) <= settings.friction_coefficient * fz + 1e-6)
        tau = np.einsum("lij,lj->li", m, f)
        assert np.all(np.abs(tau) <= limits + 1e-6)
    assert solved >= 295  # the solver, not the fallback, produced (nearly) all of them


def test_qp_meets_a_feasible_wrench_and_balances_a_standing_robot():
    robot = get_robot("laikago_fast")
    feet = forward_kinematics(robot, robot.standing_angles) + robot.hip_positions
    com = np.array([-0.02, 0.0, -0.04])
    weight = np.array([0.0, 0.0, 250.0, 0.0, 0.0, 0.0])
    result = StanceForceQP().solve(np.ones(4, dtype=bool), feet - com, weight)
    np.testing.assert_allclose(result.achieved_wrench, weight, atol=0.5)
    # Front and rear pairs share the weight by the lever rule about the centre of mass.
    front, rear = result.forces_world[:2, 2].sum(), result.forces_world[2:, 2].sum()
    lever_front, lever_rear = feet[0, 0] - com[0], com[0] - feet[2, 0]
    assert front / rear == pytest.approx(lever_rear / lever_front, rel=0.02)


# --- rigid-body model, force plan, swing ------------------------------------------------------


@pytest.mark.parametrize("name", FAMILY)
def test_rigid_body_model_matches_pybullet_mass_com_and_inertia(name):
    robot = get_robot(name)
    model = rigid_body_model(robot, resolve_robot_urdf(robot))
    client = BulletClient(connection_mode=pybullet.DIRECT)
    try:
        with quiet_stdout():
            body = client.loadURDF(resolve_robot_urdf(robot), [0, 0, 1], flags=pybullet.URDF_USE_INERTIA_FROM_FILE)
        index = {client.getJointInfo(body, j)[1].decode(): j for j in range(client.getNumJoints(body))}
        for joint, angle in zip(robot.urdf_joint_names, robot.controller_to_urdf(robot.standing_angles), strict=True):
            client.resetJointState(body, index[joint], float(angle))
        masses, coms, inertias = [], [], []
        for link in range(-1, client.getNumJoints(body)):
            info = client.getDynamicsInfo(body, link)
            pos, quat = (client.getBasePositionAndOrientation(body) if link == -1
                         else client.getLinkState(body, link, computeForwardKinematics=True)[:2])
            rot = np.array(client.getMatrixFromQuaternion(quat)).reshape(3, 3)
            masses.append(info[0])
            coms.append(np.array(pos) - [0, 0, 1])
            inertias.append(rot @ np.diag(info[2]) @ rot.T)
    finally:
        client.disconnect()
    mass = sum(masses)
    com = sum(m * c for m, c in zip(masses, coms, strict=True)) / mass
    inertia = sum(i + m * (np.dot(c - com, c - com) * np.eye(3) - np.outer(c - com, c - com))
                  for m, c, i in zip(masses, coms, inertias, strict=True))
    assert model.mass_kg == pytest.approx(mass, rel=1e-6)
    np.testing.assert_allclose(model.com_body_m, com, atol=1e-4)
    # PyBullet zeroes the Mini Cheetah's thigh inertias ("bad inertia tensor"); the model keeps the URDF's.
    np.testing.assert_allclose(model.inertia_body_kgm2, inertia, atol=0.01 if name == "mini_cheetah" else 1e-6)


@pytest.mark.parametrize("gait", sorted(MODEL_BASED_GAITS))
def test_force_plan_delivers_the_weight_per_stride_with_no_net_pitch_or_roll_impulse(gait):
    spec = get_model_based_gait(gait).spec
    # Feet relative to a centre of mass 3 cm behind and 1 cm left of the middle of the feet.
    feet_rel_com = np.array([[0.23, -0.13, -0.4], [0.23, 0.11, -0.4], [-0.21, -0.13, -0.4], [-0.21, 0.11, -0.4]])
    plan = ForcePlan(spec.stride_frequency_hz, spec.duty_factor, spec.phase_offsets, 0.3, 25.0,
                     np.diag([0.6, 1.3, 1.3]), feet_rel_com)
    t = np.arange(2000) / 2000 / spec.stride_frequency_hz  # one stride
    phases = np.array([plan.leg_phases(ti) for ti in t])
    forces = plan.leg_forces(phases)  # (N, 4) normal forces
    assert np.all(forces[phases >= spec.duty_factor] == 0.0)  # only feet in stance push
    assert forces.sum(axis=1).mean() == pytest.approx(25.0 * GRAVITY_MPS2, rel=1e-3)  # m·g·T per stride
    pitch, roll = forces @ -feet_rel_com[:, 0], forces @ feet_rel_com[:, 1]
    assert abs(pitch.mean()) < 1e-6 * 25.0 * GRAVITY_MPS2 and abs(roll.mean()) < 1e-6 * 25.0 * GRAVITY_MPS2
    airborne = forces.sum(axis=1) == 0.0
    expected_flight = {"bound": 0.1, "gallop": 0.08, "pronk": 0.45}.get(gait, 0.0)
    assert airborne.mean() == pytest.approx(expected_flight, abs=0.002)
    ref = [plan.reference(ti) for ti in t]
    assert abs(np.mean([r.height_m for r in ref])) < 1e-6  # the reference hops about the nominal height


def test_swing_trajectory_starts_and_ends_where_asked_and_its_velocity_is_its_derivative():
    start = np.array([[0.0, 0.0, 0.0], [0.1, -0.1, 0.02]])
    end = np.array([[0.2, 0.05, 0.0], [0.3, -0.1, -0.01]])
    duration = 0.2
    s = np.linspace(0.0, 1.0, 401)
    samples = (swing_trajectory(np.full(2, si), duration, start, end, 0.08) for si in s)
    positions, velocities = zip(*samples, strict=True)
    positions, velocities = np.array(positions), np.array(velocities)
    np.testing.assert_allclose(positions[0], start, atol=1e-12)
    np.testing.assert_allclose(positions[-1], end, atol=1e-12)
    numeric = np.gradient(positions, s * duration, axis=0)
    np.testing.assert_allclose(velocities[1:-1], numeric[1:-1], atol=0.02)
    blend = 10 * s**3 - 15 * s**4 + 6 * s**5
    lift = positions[:, :, 2] - (start[:, 2] + (end[:, 2] - start[:, 2]) * blend[:, None])
    np.testing.assert_allclose(lift[200], 0.08, atol=1e-12)  # full height at mid-swing
    assert lift.min() >= -1e-12 and lift.max() == pytest.approx(0.08, abs=1e-3)
    assert velocities[0, 0, 2] > 1.0  # leaves the ground at once
    assert velocities[-1, 0, 2] == pytest.approx(-0.3)  # lands moving down at the touch-down speed


def test_raibert_foothold_is_half_a_stance_ahead_at_the_commanded_speed():
    shoulders = np.array([[0.2, -0.1], [0.2, 0.1]])
    held = raibert_footholds(shoulders, np.array([0.1, 0.0]), 0.2, np.array([1.0, 0.0]), np.array([1.0, 0.0]), 0.0,
                             np.zeros(2), 0.45, 1.0, 0.3)
    np.testing.assert_allclose(held, shoulders + [[0.1 + 0.1, 0.0], [0.1, 0.0]])
    slow = raibert_footholds(shoulders, np.zeros(2), 0.2, np.array([0.5, 0.0]), np.array([1.0, 0.0]), 0.0,
                             np.zeros(2), 0.45, 1.0, 0.3)
    assert np.all(slow[:, 0] < shoulders[:, 0] + 0.05)  # too slow: step short, so the body tips forward


# --- in simulation --------------------------------------------------------------------------


def test_controller_implements_the_controller_protocol():
    robot = get_robot("laikago_fast")
    controller = make_model_based_controller(robot, "trot", 1 / 250)
    assert isinstance(controller, Controller) and controller.name == "model-based-trot"
    np.testing.assert_allclose(rotation_from_quaternion(np.array([0, 0, math.sin(0.3), math.cos(0.3)])),
                               [[math.cos(0.6), -math.sin(0.6), 0], [math.sin(0.6), math.cos(0.6), 0], [0, 0, 1]],
                               atol=1e-12)


@pytest.mark.parametrize("gait, aerial", [("trot", False), ("bound", True), ("pronk", True)])
def test_gait_is_measured_as_itself_with_footfalls_on_its_spec(gait, aerial):
    preset = get_model_based_gait(gait)
    r = rollout(gait, preset.design_speed_mps, 10.0)
    m = summary(r)
    assert not r.fell
    assert m["gait"] == gait
    offsets = np.array(m["phase_offsets_cycles"])
    assert np.max(circular_distance_cycles(offsets, np.array(preset.spec.phase_offsets))) <= 0.1, offsets
    if aerial:
        assert m["aerial_fraction"] >= 0.05
    else:
        assert m["aerial_fraction"] == 0.0
    assert m["mean_forward_speed_mps"] >= 0.5 * preset.design_speed_mps


def test_trot_survives_8_ns_pushes_every_4_s():
    r = rollout("trot", 0.5, 20.0, push_impulse_ns=8.0, push_interval_s=4.0)
    assert not r.fell
    assert metrics.forward_distance_m(r) >= 7.0
    assert summary(r)["gait"] == "trot"


def test_trot_tracks_a_yaw_rate_command():
    r = rollout("trot", 0.5, 10.0, yaw_rate=0.5)
    keep = r.time_s >= GAIT_WINDOW_S
    assert not r.fell
    yaw = np.unwrap(r.base_rpy[keep, 2])
    measured = (yaw[-1] - yaw[0]) / (r.time_s[keep][-1] - r.time_s[keep][0])
    assert measured == pytest.approx(0.5, abs=0.15)


@pytest.mark.parametrize("name", FAMILY)
def test_every_robot_stands_then_trots(name):
    robot = get_robot(name)
    vx = froude_speed_mps(robot, 0.5)
    env = gym.make("quadgait/LaikagoVelocity-v1", robot=name, **MODEL_BASED_ENV_SETTINGS)
    try:
        base = env.unwrapped
        controller = make_model_based_controller(base.robot, "trot", base.control_dt_s,
                                                 settings=ModelBasedSettings(stand_s=2.0))
        r = run_episode(env, controller, 8.0, seed=0, options={"command": (vx, 0.0, 0.0)})
    finally:
        env.close()
    assert not r.fell
    standing = (r.time_s > 1.0) & (r.time_s < 2.0)
    heights = r.base_position_world[standing, 2]
    assert heights.max() - heights.min() < 0.005  # stands still on four feet
    assert np.all(r.foot_contacts[standing])
    assert np.degrees(np.abs(r.base_rpy[standing, :2])).max() < 2.0
    hip_height = heights.mean() + robot.hip_positions[:, 2].mean()
    assert hip_height == pytest.approx(standing_hip_height_m(robot), abs=0.03)
    trotting = r.time_s >= 4.0
    assert np.mean(r.base_lin_vel_body[trotting, 0]) >= 0.7 * vx
    assert metrics.summarize(r, gait_window_start_s=4.0)["gait"] == "trot"


# --- slow: the targets ----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("gait", sorted(MODEL_BASED_GAITS))
def test_every_gait_at_its_design_speed_for_20_s(gait):
    preset = get_model_based_gait(gait)
    r = rollout(gait, preset.design_speed_mps, 20.0)
    m = summary(r)
    assert not r.fell
    assert m["gait"] == gait
    assert np.max(circular_distance_cycles(np.array(m["phase_offsets_cycles"]),
                                           np.array(preset.spec.phase_offsets))) <= 0.1
    if gait in ("bound", "gallop", "pronk"):
        assert m["aerial_fraction"] >= 0.05


@pytest.mark.slow
@pytest.mark.parametrize("settings", [
    {"push_impulse_ns": 8.0, "push_interval_s": 4.0}, {"added_base_mass_kg": 5.0}, {"ground_friction": 0.4},
    {"terrain": "rough:1"}, {"terrain": "slope:1"}], ids=["push", "payload", "low-friction", "rough-1", "slope-1"])
def test_trot_never_falls_in_five_episodes_of_each_scenario(settings):
    for seed in range(5):
        r = rollout("trot", 0.5, 20.0, seed=seed, **settings)
        assert not r.fell, f"seed {seed} fell at {r.fall_time_s} s"
        assert metrics.forward_distance_m(r) >= 7.0


@pytest.mark.slow
def test_trot_crosses_rough_3_and_sustains_1_5_m_per_s():
    assert not rollout("trot", 0.5, 20.0, terrain="rough:3").fell
    fast = rollout("trot", 1.7, 20.0)
    assert not fast.fell and metrics.mean_forward_speed_mps(fast) >= 1.5
