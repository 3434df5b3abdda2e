"""Analytic kinematics: IK∘FK round trip, agreement with PyBullet's toe positions, clamping instead of NaN."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from envs._pybullet import BulletClient, pybullet
from envs.gaits.kinematics import foot_positions_body, forward_kinematics, inverse_kinematics, leg_jacobian
from envs.robots import get_robot
from envs.robots.urdf_files import resolve_robot_urdf

ROBOT = get_robot("laikago")


def test_fk_after_ik_returns_target_within_1mm_over_workspace_grid():
    # A grid over the joint-limit box maps onto the whole reachable workspace (knee-backward branch).
    lower, upper = ROBOT.lower_limits[:3], ROBOT.upper_limits[:3]
    grid = itertools.product(*(np.linspace(lo, hi, 9) for lo, hi in zip(lower, upper, strict=True)))
    worst, count = 0.0, 0
    for hip, thigh, calf in grid:
        q = np.tile([hip, thigh, calf], 4)
        target = forward_kinematics(ROBOT, q)
        if np.linalg.norm(target[:, [0, 2]], axis=1).max() > 0.99 * ROBOT.leg_length_m:
            continue  # the straight-leg rim, deliberately kept out of reach (singular)
        result = inverse_kinematics(ROBOT, target)
        assert not result.clamped.any(), (hip, thigh, calf)
        worst = max(worst, np.abs(forward_kinematics(ROBOT, result.joint_angles) - target).max())
        count += 1
    assert count > 600
    assert worst < 1e-3


@pytest.mark.parametrize("name", ["laikago", "laikago_fast"])
def test_fk_matches_pybullet_toe_positions_within_2mm(name):
    robot = get_robot(name)
    client = BulletClient(connection_mode=pybullet.DIRECT)
    try:
        body = client.loadURDF(resolve_robot_urdf(robot), [0, 0, 1], useFixedBase=True)
        index = {client.getJointInfo(body, j)[1].decode(): j for j in range(client.getNumJoints(body))}
        links = {client.getJointInfo(body, j)[12].decode(): j for j in range(client.getNumJoints(body))}
        rng = np.random.default_rng(7)
        for _ in range(50):
            q = rng.uniform(robot.lower_limits, robot.upper_limits)
            for joint_name, angle in zip(robot.urdf_joint_names, robot.controller_to_urdf(q), strict=True):
                client.resetJointState(body, index[joint_name], float(angle))
            toes = np.array([client.getLinkState(body, links[n], computeForwardKinematics=True)[4]
                             for n in robot.foot_link_names]) - np.array([0, 0, 1])
            np.testing.assert_allclose(foot_positions_body(robot, q), toes, atol=2e-3)
    finally:
        client.disconnect()


def test_unreachable_targets_are_clamped_and_flagged_never_nan():
    nominal = forward_kinematics(ROBOT, ROBOT.standing_angles)
    targets = nominal.copy()
    targets[0] = [0.0, 0.0, -2.0]  # far below reach
    targets[1] = [0.0, 0.0, 0.0]  # at the hip itself
    targets[2] = [0.6, 0.3, 0.0]  # far in front
    result = inverse_kinematics(ROBOT, targets)
    assert np.all(np.isfinite(result.joint_angles))
    assert result.clamped.tolist() == [True, True, True, False]
    reached = forward_kinematics(ROBOT, result.joint_angles)
    assert np.linalg.norm(reached[0]) == pytest.approx(0.995 * ROBOT.leg_length_m, abs=0.01)


def test_bad_targets_raise():
    with pytest.raises(ValueError, match="shape"):
        inverse_kinematics(ROBOT, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="finite"):
        inverse_kinematics(ROBOT, np.full((4, 3), np.nan))


@pytest.mark.parametrize("name", ["laikago", "a1", "aliengo", "mini_cheetah"])
def test_leg_jacobian_matches_finite_differences_of_forward_kinematics(name):
    robot = get_robot(name)
    rng = np.random.default_rng(3)
    step = 1e-6
    for _ in range(20):
        q = rng.uniform(robot.lower_limits, robot.upper_limits)
        jac = leg_jacobian(robot, q)
        assert jac.shape == (4, 3, 3)
        numeric = np.zeros((4, 3, 3))
        for j in range(3):
            dq = np.zeros((4, 3))
            dq[:, j] = step
            plus = forward_kinematics(robot, q + dq.reshape(-1))
            minus = forward_kinematics(robot, q - dq.reshape(-1))
            numeric[:, :, j] = (plus - minus) / (2 * step)
        np.testing.assert_allclose(jac, numeric, atol=1e-7)


def test_leg_jacobian_transpose_gives_the_moment_of_a_vertical_foot_force_about_each_pitch_joint():
    # J^T f is the generalised force of a force f on the foot: for an upward 100 N on a foot under the hip, the
    # moment about the +y pitch axes, -x·F with x the foot's distance in front of the joint (virtual work).
    q = ROBOT.standing_angles
    feet = forward_kinematics(ROBOT, q)
    tau = np.einsum("lij,i->lj", leg_jacobian(ROBOT, q), np.array([0.0, 0.0, 100.0]))
    knee_x = -ROBOT.thigh_length_m * np.sin(q[1])
    assert np.all(feet[:, 0] - knee_x > 0.1)  # the knee is well behind the foot, so the knee carries the load
    np.testing.assert_allclose(tau[:, 2], -100.0 * (feet[:, 0] - knee_x), rtol=1e-9)
    np.testing.assert_allclose(tau[:, 1], -100.0 * feet[:, 0], atol=1e-9)
