"""The motor model's fast loop (Python floats) against the law written with NumPy arrays, bit for bit.

``Simulation._run_motors`` evaluates the PD law of ``envs/sim.py``'s module docstring joint by joint on Python floats,
because that is cheaper than NumPy for 12 joints; these tests replay the same commands through a plain NumPy
reference (the form the regression recordings were made with) and require identical joint states and torques.
"""

from __future__ import annotations

import numpy as np
import pytest

from envs._pybullet import pybullet
from envs.robots import get_robot
from envs.sim import PhysicsSettings, Simulation

SUBSTEPS = 5


def _sim(robot: str = "laikago_fast") -> Simulation:
    sim = Simulation(get_robot(robot), PhysicsSettings(physics_hz=250.0, visual_shapes=False))
    stand = sim.robot.standing_angles
    sim.reset(np.array([0.0, 0.0, sim.robot.spawn_height_m]), np.array([0.0, 0.0, 0.0, 1.0]),
              stand + 0.05 * np.sin(np.arange(12)), joint_velocities=np.cos(np.arange(12)))
    return sim


class NumpyMotors:
    """The motor model as arrays, applied through PyBullet one physics step at a time."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.speed_limited_steps = 0
        self.last_torques = np.zeros(12)

    def joint_state(self) -> tuple[np.ndarray, np.ndarray]:
        s = self.sim
        states = pybullet.getJointStates(s.robot_id, s.joint_ids, physicsClientId=s.client._client)
        q_qd = np.array([x[:2] for x in states])
        return (q_qd[:, 0] - s._offsets) * s._directions, q_qd[:, 1] * s._directions

    def apply(self, tau: np.ndarray, qd: np.ndarray) -> None:
        s = self.sim
        tau = np.minimum(np.maximum(tau, -s._tau_max), s._tau_max)
        over = (np.abs(qd) > s._qd_max) & (tau * qd > 0)
        self.speed_limited_steps += int(over.any())
        tau = np.where(over, 0.0, tau)
        pybullet.setJointMotorControlArray(s.robot_id, s.joint_ids, pybullet.TORQUE_CONTROL,
                                           forces=(tau * s._directions).tolist(), physicsClientId=s.client._client)
        pybullet.stepSimulation(physicsClientId=s.client._client)
        self.last_torques = tau

    def step_position(self, targets: np.ndarray) -> None:
        s = self.sim
        kp_target = s._kp * s.clip_targets(targets)
        for _ in range(SUBSTEPS):
            q, qd = self.joint_state()
            self.apply(kp_target - s._kp * q - s._kd * qd, qd)

    def step_torque(self, torques: np.ndarray) -> None:
        for _ in range(SUBSTEPS):
            self.apply(torques, self.joint_state()[1])


def _assert_same(fast: Simulation, ref: NumpyMotors) -> None:
    state = fast.state()
    q_ref, qd_ref = ref.joint_state()
    np.testing.assert_array_equal(state.joint_angles, q_ref)
    np.testing.assert_array_equal(state.joint_velocities, qd_ref)
    np.testing.assert_array_equal(state.joint_torques, ref.last_torques)


@pytest.mark.parametrize("robot", ["laikago_fast", "mini_cheetah"])
def test_pd_law_matches_the_numpy_form_bit_for_bit(robot):
    rng = np.random.default_rng(3)
    fast, ref_sim = _sim(robot), _sim(robot)
    ref = NumpyMotors(ref_sim)
    try:
        stand = fast.robot.standing_angles
        for k in range(60):
            # Large random jumps (beyond the joint limits, which clip them) drive joints past their speed limit.
            targets = stand + rng.uniform(-1.5, 1.5, 12)
            if k == 30:  # randomized motors (domain randomization) go through the same loop
                for sim in (fast, ref_sim):
                    sim.set_motor_scales(strength=0.8, kp_scale=1.2, kd_scale=0.9)
            fast.step_position(targets, SUBSTEPS)
            ref.step_position(targets)
            _assert_same(fast, ref)
        assert ref.speed_limited_steps > 0, "the speed-limit branch was never exercised"
    finally:
        fast.close()
        ref_sim.close()


def test_torque_mode_matches_the_numpy_form_bit_for_bit():
    rng = np.random.default_rng(4)
    fast, ref_sim = _sim(), _sim()
    ref = NumpyMotors(ref_sim)
    try:
        for _ in range(40):
            torques = rng.uniform(-60.0, 60.0, 12)  # beyond the 35 N·m limit: clipped
            fast.step_torque(torques, SUBSTEPS)
            ref.step_torque(torques)
            _assert_same(fast, ref)
        assert ref.speed_limited_steps > 0, "the speed-limit branch was never exercised"
    finally:
        fast.close()
        ref_sim.close()


def test_state_reads_the_joints_after_every_step_and_reset():
    sim = _sim()
    try:
        ref = NumpyMotors(sim)
        for _ in range(3):
            sim.step_position(sim.robot.standing_angles + 0.2, SUBSTEPS)
            q, qd = ref.joint_state()  # a fresh read, bypassing the simulation's own
            np.testing.assert_array_equal(sim.state().joint_angles, q)
            np.testing.assert_array_equal(sim.state().joint_velocities, qd)
        pose = sim.robot.standing_angles - 0.1
        state = sim.reset(np.array([0.0, 0.0, 0.6]), np.array([0.0, 0.0, 0.0, 1.0]), pose)
        np.testing.assert_allclose(state.joint_angles, pose, atol=1e-12)
        np.testing.assert_array_equal(state.joint_velocities, np.zeros(12))
    finally:
        sim.close()
