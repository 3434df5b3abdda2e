"""Model-based gaits: a stance-force controller that runs any :class:`~envs.gaits.spec.GaitSpec` in torque mode.

Per control step (250 Hz is the intended rate):

1. **Schedule.** A phase clock (the gait's frequency, duty factor and phase offsets) says which legs should be in
   stance. A planned-stance leg bears load once its foot has touched the ground (contact sensors); until then it
   keeps reaching down. A swing leg that touches down in the last quarter of its swing starts bearing load early.
   The gait starts from standing with the duty factor easing down from 1, and a body heavier than the model (an
   unknown payload, estimated by the height integral) gets proportionally longer stances.
2. **Body wrench.** The robot is one rigid body (mass, centre of mass and inertia lumped from the URDF,
   :mod:`envs.gaits.rigid_body`). The desired force and torque are a feed-forward from the gait's force plan
   (:mod:`envs.gaits.force_plan`: each stance's share of the stride's m·g·T vertical impulse, which is what makes
   bound, gallop and pronk fly) plus PD feedback around the plan's periodic reference motion: height above the
   ground plane estimated from where the feet last stood, roll and pitch (aligned with that plane), heading
   (integrating the commanded yaw rate) and horizontal velocity (the command, rate-limited); see
   :mod:`envs.gaits.body_feedback`.
3. **Stance forces.** A QP (:mod:`envs.gaits.force_qp`, solved by DAQP) distributes that wrench over the feet in
   stance inside friction pyramids, normal-force bounds and the joint torque limits; the forces become joint
   torques through the leg Jacobians, ``τ = −Jᵀ Rᵀ f``.
4. **Swing legs** fly to a Raibert / capture-point foothold (:mod:`envs.gaits.swing`) along a minimum-jerk path;
   joint PD on the inverse-kinematics angles with a joint-velocity feed-forward, computed here at the control rate.

**Why a per-step QP and not a horizon MPC.** The cost target is 500 env + controller steps/s on one core, which
leaves the controller well under 1 ms per step next to PyBullet. A convex MPC in the style of Di Carlo et al. (2018)
with a useful horizon (10 steps of 12 forces: 120 variables, ~500 constraints) costs 1-5 ms per solve with a dense
active-set solver, so it would have to run at a fraction of the control rate. What a horizon buys on flat ground is
foresight for gaits whose stance cannot hold the body (flight phases, two-leg support); here that foresight comes
from the force plan instead: the vertical impulse each stance must deliver and the hop it produces are known from
the schedule in closed form, and the QP, re-solved every 4 ms, tracks the plan plus feedback. The QP is 12
variables and at most 32 constraints: ~15 µs.

Only what the robot senses is used (:class:`~envs.state.RobotState`: base pose and velocities, joint angles and
velocities, foot contact flags); foot positions come from forward kinematics, the ground from past footholds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from envs.gaits.body_feedback import BodyFeedback, BodyFeedbackGains
from envs.gaits.force_plan import ForcePlan
from envs.gaits.force_qp import ForceQPSettings, StanceForceQP
from envs.gaits.kinematics import forward_kinematics, leg_jacobian, standing_hip_to_foot_m
from envs.gaits.model_based_presets import ModelBasedGait, get_model_based_gait
from envs.gaits.rigid_body import RigidBodyModel, rigid_body_model
from envs.gaits.scaling import scale_gait
from envs.gaits.swing import SwingLegs, SwingSettings
from envs.robots.description import GRAVITY_MPS2, RobotDescription
from envs.state import RobotState

#: Env settings the controller is designed for: torque actions at a 250 Hz control rate, one physics step each
#: (``gym.make("quadgait/LaikagoWalk-v0", **MODEL_BASED_ENV_SETTINGS)``).
MODEL_BASED_ENV_SETTINGS: Mapping[str, object] = MappingProxyType(
    {"motor_control": "torque", "control_hz": 250.0, "physics_hz": 250.0})


@dataclass(frozen=True)
class ModelBasedSettings:
    """Options of :class:`ModelBasedController`.

    Attributes:
        stand_s: the robot stands on four feet for this long after reset before the gait starts, s.
        ramp_s: once the gait starts, the command ramps up from zero, the duty factor down from 1 and the swing
            height and the plan's reference motion up from zero over this time, s.
        early_contact_fraction: a swing foot touching down after this fraction of its swing bears load.
        load_duty_exponent, load_duty_deadband: the duty factor grows with the estimated load factor, less the
            dead band, to this power (0 = fixed duty). The dead band ignores the few percent the hopping gaits' height
            integral holds anyway.
        feedback: body-wrench feedback gains. swing: swing-leg options. qp: the stance-force QP's settings.
    """

    stand_s: float = 0.5
    ramp_s: float = 1.0
    early_contact_fraction: float = 0.75
    load_duty_exponent: float = 1.0
    load_duty_deadband: float = 0.06
    feedback: BodyFeedbackGains = field(default_factory=BodyFeedbackGains)
    swing: SwingSettings = field(default_factory=SwingSettings)
    qp: ForceQPSettings = field(default_factory=ForceQPSettings)


def rotation_from_quaternion(q: np.ndarray) -> np.ndarray:
    """(x, y, z, w) unit quaternion → rotation matrix (body → world)."""
    x, y, z, w = (float(v) for v in q)
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


class ModelBasedController:
    """Stance-force QP + Raibert swing controller (see the module docstring). Implements ``Controller``.

    The env must run in ``motor_control="torque"`` mode; the action is ``τ / torque_limits``.

    Args:
        robot: the robot description (kinematics, torque limits, gains).
        gait: a model-based preset (scaled to the robot by Froude number, like the open-loop presets).
        body: the lumped rigid-body model (:func:`~envs.gaits.rigid_body.rigid_body_model`).
        control_dt_s: the env's control period, s.
        settings: options and gains.
    """

    def __init__(self, robot: RobotDescription, gait: ModelBasedGait, body: RigidBodyModel, control_dt_s: float,
                 settings: ModelBasedSettings = ModelBasedSettings()) -> None:
        if not control_dt_s > 0:
            raise ValueError(f"control_dt_s must be > 0, got {control_dt_s!r}")
        self.robot, self.body, self.settings = robot, body, settings
        self.spec = scale_gait(gait.spec, robot)
        self.gait = gait
        self.name = f"model-based-{self.spec.name}"
        self.control_dt_s = float(control_dt_s)
        self._hips = robot.hip_positions
        self.body_height_m = float(self.spec.body_height_m or standing_hip_to_foot_m(robot))
        nominal = self._hips + np.column_stack([np.zeros(4), robot.hip_lateral_offsets_m,
                                                np.full(4, -self.body_height_m)])  # feet under the shoulders
        self.plan = ForcePlan(self.spec.stride_frequency_hz, self.spec.duty_factor, self.spec.phase_offsets,
                              gait.force_taper, body.mass_kg, body.inertia_body_kgm2, nominal - body.com_body_m)
        self.feedback = BodyFeedback(body, settings.feedback, com_height_m=body.com_body_m[2] - nominal[:, 2].mean(),
                                     com_over_feet_xy=body.com_body_m[:2] - nominal[:, :2].mean(axis=0))
        self.swing = SwingLegs(robot, settings.swing, nominal - self._hips)
        self.qp = StanceForceQP(settings.qp)
        self._tau_max = robot.torque_limit_array.reshape(4, 3)
        self._inv_tau_max = 1.0 / robot.torque_limit_array
        self._stand_forces = self.plan.shares * body.mass_kg * GRAVITY_MPS2
        self.reset()

    def reset(self) -> None:
        self._last_t: float | None = None
        self.feedback.reset(0.0)
        self._ground_points = np.zeros((4, 3))  # world foot-centre positions where each foot last landed
        self._plane = np.zeros(3)  # ground plane z = a + b·x + c·y through them
        self._planned_stance = np.ones(4, dtype=bool)
        self._touched = np.zeros(4, dtype=bool)
        self.last_support = np.zeros(4, dtype=bool)
        self.last_forces_world = np.zeros((4, 3))
        self.last_wrench_desired = self.last_wrench_achieved = np.zeros(6)
        self.last_qp_solved = True

    def act(self, observation: np.ndarray | None, state: RobotState, time_s: float, command: np.ndarray) -> np.ndarray:
        s = self.settings
        t = float(time_s)
        rot = rotation_from_quaternion(state.base_quaternion_world)
        yaw = math.atan2(rot[1, 0], rot[0, 0])
        q = state.joint_angles
        feet_hip = forward_kinematics(self.robot, q)
        jac = leg_jacobian(self.robot, q)
        origin = state.base_position_world - rot @ self.body.state_frame_offset_m  # body-frame origin, world
        feet_world = origin + (feet_hip + self._hips) @ rot.T
        last_t = self._last_t
        if last_t is None or t < last_t:
            last_t = self._start(feet_world, yaw)
        dt = t - last_t if t > last_t else self.control_dt_s
        self._last_t = t
        com = origin + rot @ self.body.com_body_m

        # 1. Schedule. Start-up: the duty factor shrinks from 1 (standing) to the gait's over ramp_s, so the first
        # swings are short and low and the support pattern grows into the gait's (a gallop started on its
        # schedule would begin on one leg).
        gait_t = t - s.stand_s
        running = gait_t >= 0.0
        ramp = min(1.0, gait_t / s.ramp_s) if running and s.ramp_s > 0 else float(running)
        # Load adaptation: a heavier body (the height integral's estimate) gets proportionally longer stances, so
        # each foot's force stays within what its motors can give.
        load = max(1.0, self.feedback.load_factor - s.load_duty_deadband)
        base_duty = min(self.spec.duty_factor * load ** s.load_duty_exponent, 0.9)
        duty = 1.0 - (1.0 - base_duty) * ramp
        period = 1.0 / self.spec.stride_frequency_hz
        if running:
            phases = self.plan.leg_phases(gait_t)
            planned = phases < duty
            planned_forces = self.plan.leg_forces(phases, duty)
        else:
            phases = np.zeros(4)
            planned = np.ones(4, dtype=bool)
            planned_forces = self._stand_forces
        contacts = np.asarray(state.foot_contacts, dtype=bool)
        lifted = self._planned_stance & ~planned
        self.swing.liftoff[lifted] = feet_world[lifted]
        self._touched = planned & (self._touched | contacts)  # a planned-stance foot bears load once it landed
        swing_frac = np.minimum(np.maximum((phases - duty) / max(1.0 - duty, 1e-3), 0.0), 1.0)
        support = self._touched | (~planned & contacts & (swing_frac >= s.early_contact_fraction))
        landed = support & ~self.last_support
        if landed.any():  # where a foot lands is where the ground is
            self._ground_points[landed] = feet_world[landed]
            self._plane = self._ground_plane()
        self._planned_stance = planned

        # 2. Body wrench.
        v_des = self.feedback.update_command(np.asarray(command, dtype=float) * ramp, yaw, dt)
        wrench = self.feedback.wrench(rot, yaw, com, state.base_lin_vel_world, state.base_ang_vel_world, v_des,
                                      self._plane, self.plan.reference(gait_t) if running else None, ramp,
                                      None if running else feet_world, bool(support.any()), dt)

        # 3. Stance forces → joint torques, τ = M f with M = −Jᵀ Rᵀ.
        force_to_torque = -np.transpose(jac, (0, 2, 1)) @ rot.T
        reference = np.zeros((4, 3))
        reference[:, 2] = np.where(planned, planned_forces, 0.0)
        result = self.qp.solve(support, feet_world - com, wrench, reference, force_to_torque, self._tau_max)
        tau = np.einsum("lij,lj->li", force_to_torque, result.forces_world)
        self.last_support, self.last_forces_world, self.last_qp_solved = support, result.forces_world, result.solved
        self.last_wrench_desired, self.last_wrench_achieved = wrench, result.achieved_wrench

        # 4. Swing legs, and planned-stance legs still reaching for the ground.
        free = ~support
        if free.any():
            tau[free] = self.swing.torques(
                running=running, planned=planned, free=free, phases=phases, swing_frac=swing_frac,
                stance_s=duty * period, swing_s=max(1.0 - duty, 1e-3) * period, period_s=period,
                swing_height_m=self.spec.swing_height_m * ramp, rot=rot, origin=origin, state=state, com=com,
                com_height_m=self.feedback.com_height_m, v_des=v_des, yaw_rate_des=self.feedback.command[2],
                plane=self._plane, feet_world=feet_world, jac=jac)[free]
        return np.minimum(np.maximum(tau.reshape(-1) * self._inv_tau_max, -1.0), 1.0).astype(np.float32)

    def _start(self, feet_world: np.ndarray, yaw: float) -> float:
        """Start an episode; returns the time of the (virtual) previous step, s."""
        self._last_t = -self.control_dt_s
        self.feedback.reset(yaw)
        self._ground_points = feet_world.copy()
        self._plane = self._ground_plane()
        self.swing.reset(feet_world)
        return self._last_t

    def _ground_plane(self) -> np.ndarray:
        """Least-squares plane z = a + b·x + c·y (world) through the feet's last landing points: (a, b, c)."""
        p = self._ground_points
        a = np.column_stack([np.ones(4), p[:, 0], p[:, 1]])
        return np.linalg.solve(a.T @ a + 1e-9 * np.eye(3), a.T @ p[:, 2])


def make_model_based_controller(robot: RobotDescription, gait: str | ModelBasedGait, control_dt_s: float,
                                urdf_path: str | None = None,
                                settings: ModelBasedSettings = ModelBasedSettings()) -> ModelBasedController:
    """Build a :class:`ModelBasedController` for ``robot`` running ``gait`` (a preset name or a
    :class:`~envs.gaits.model_based_presets.ModelBasedGait`), reading masses and inertias from the robot's URDF
    (``urdf_path``, default: the description's, resolved by :func:`envs.robots.urdf_files.resolve_robot_urdf`)."""
    if urdf_path is None:
        from envs.robots.urdf_files import resolve_robot_urdf  # a file path; the controller itself needs no URDF

        urdf_path = resolve_robot_urdf(robot)
    preset = get_model_based_gait(gait) if isinstance(gait, str) else gait
    return ModelBasedController(robot, preset, rigid_body_model(robot, urdf_path), control_dt_s, settings)
