"""Robot descriptions are the single source of truth: counts are pinned, conventions hold, bad names fail."""

from __future__ import annotations

import numpy as np
import pytest

from envs._pybullet import BulletClient, pybullet
from envs.robots import JOINT_LABELS, ROBOTS, get_robot, robot_names
from envs.robots.urdf_files import resolve_robot_urdf


@pytest.mark.parametrize("name", ["laikago", "laikago_fast"])
def test_pinned_joint_and_link_counts(name):
    robot = get_robot(name)
    assert robot.num_joints == 12 and robot.num_legs == 4
    assert len(robot.urdf_joint_names) == 12 and len(robot.foot_link_names) == 4
    client = BulletClient(connection_mode=pybullet.DIRECT)
    try:
        body = client.loadURDF(resolve_robot_urdf(robot))
        infos = [client.getJointInfo(body, j) for j in range(client.getNumJoints(body))]
        assert len(infos) == 16  # 12 revolute + 4 fixed toe joints
        revolute = [i[1].decode() for i in infos if i[2] == pybullet.JOINT_REVOLUTE]
        assert sorted(revolute) == sorted(robot.urdf_joint_names)
        links = {i[12].decode() for i in infos}
        assert set(robot.foot_link_names) <= links and set(robot.body_contact_links) <= links
        total_mass = sum(client.getDynamicsInfo(body, link)[0] for link in range(-1, 16))
        assert total_mass == pytest.approx(25.567, abs=1e-3)
    finally:
        client.disconnect()


def test_joint_labels_follow_leg_order():
    assert JOINT_LABELS[:3] == ("FR_hip", "FR_thigh", "FR_calf")
    assert JOINT_LABELS[-1] == "RL_calf" and len(JOINT_LABELS) == 12


def test_angle_convention_round_trips():
    robot = get_robot("laikago")
    q = np.random.default_rng(0).uniform(robot.lower_limits, robot.upper_limits)
    np.testing.assert_allclose(robot.urdf_to_controller(robot.controller_to_urdf(q)), q)


def test_standing_pose_inside_limits_and_arrays_are_fresh():
    robot = get_robot("laikago_fast")
    a = robot.standing_angles
    a[:] = 99.0
    assert robot.standing_angles[1] == pytest.approx(0.62)


def test_unknown_robot_lists_valid_names():
    with pytest.raises(ValueError, match="unknown robot 'spot'.*laikago, laikago_fast"):
        get_robot("spot")
    assert robot_names() == tuple(sorted(ROBOTS))


def test_invalid_description_rejected():
    import dataclasses

    robot = get_robot("laikago")
    with pytest.raises(ValueError, match="standing_pose lies outside"):
        dataclasses.replace(robot, standing_pose=(0.0, 3.0, -1.0) * 4)
    with pytest.raises(ValueError, match="kp must be 12 finite numbers"):
        dataclasses.replace(robot, kp=(1.0, 2.0))
