"""Model-based gaits: a stance-force controller that runs any :class:`~envs.gaits.spec.GaitSpec` in torque mode.

Per control step (250 Hz is the intended rate):

1. **Schedule.** A phase clock (the gait's frequency, duty factor and phase offsets) says which legs should be in
   stance. A planned-stance leg bears load once its foot has touched the ground (contact sensors); until then it
   keeps reaching down. A swing leg that touches down in the last quarter of its swing starts bearing load early.
2. **Body wrench.** The robot is one rigid body (mass, centre of mass and inertia lumped from the URDF,
   :mod:`envs.gaits.rigid_body`). The desired force and torque are a feed-forward from the gait's force plan
   (:mod:`envs.gaits.force_plan`: each stance's share of the stride's m·g·T vertical impulse, which is what makes
   bound, gallop and pronk fly) plus PD feedback around the plan's periodic reference motion: height above the
   ground plane estimated from where the feet last stood, roll and pitch (aligned with that plane), heading
   (integrating the commanded yaw rate) and horizontal velocity (the command, rate-limited).
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
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import numpy as np

from envs.gaits.force_plan import GRAVITY_MPS2, ForcePlan
from envs.gaits.force_qp import ForceQPSettings, StanceForceQP
from envs.gaits.kinematics import forward_kinematics, inverse_kinematics, leg_jacobian
from envs.gaits.model_based_presets import ModelBasedGait, get_model_based_gait
from envs.gaits.rigid_body import RigidBodyModel, rigid_body_model
from envs.gaits.scaling import scale_gait
from envs.gaits.swing import raibert_footholds, swing_trajectory
from envs.robots.description import RobotDescription
from envs.state import RobotState


#: Env settings the controller is designed for: torque actions at a 250 Hz control rate, one physics step each
#: (``gym.make("quadgait/LaikagoWalk-v0", **MODEL_BASED_ENV_SETTINGS)``).
MODEL_BASED_ENV_SETTINGS: Mapping[str, object] = MappingProxyType(
    {"motor_control": "torque", "control_hz": 250.0, "physics_hz": 250.0})


@dataclass(frozen=True)
class ModelBasedSettings:
    """Gains and options of :class:`ModelBasedController` (accelerations per unit error, so robot-independent).

    Attributes:
        stand_s: the robot stands on four feet for this long after reset before the gait starts, s.
        ramp_s: once the gait starts, the command ramps up from zero and the duty factor down from 1 over this
            time, s.
        max_acceleration_mps2: rate limit on the commanded horizontal velocity, m/s².
        max_yaw_acceleration_radps2: rate limit on the commanded yaw rate, rad/s².
        height_kp, height_kd, height_ki: height feedback, 1/s², 1/s, 1/s³ (the integral absorbs unknown payloads).
        velocity_kd, velocity_ki: horizontal velocity feedback, 1/s and 1/s² (the integral, capped at 1 m/s² of
            push, makes up for the drag of legs and feet that the single-body model does not see).
        standing_position_kp: while standing, feedback holding the centre of mass over the feet, 1/s².
        attitude_kp, attitude_kd: roll, pitch, yaw feedback (heading frame), 1/s² and 1/s.
        attitude_ki: roll and pitch integral feedback, 1/s³.
        max_heading_error_rad: the heading reference is dragged along when the error exceeds this, rad.
        raibert_gain: capture-point gain k on the velocity error in the foothold (× √(h/g)).
        max_foothold_offset_fraction: cap on the foothold's offset from the shoulder, × leg length.
        swing_kp_scale, swing_kd_scale: swing-leg joint PD gains as multiples of the robot's kp and kd.
        touchdown_depth_m: swing targets end this far below the estimated ground, m.
        touchdown_speed_mps: downward foot speed the swing trajectory arrives with at the planned touch-down, m/s.
        seek_speed_mps: a planned-stance foot that has not touched down keeps reaching down at this speed, m/s.
        max_seek_depth_m: ... down to this far below its foothold, m.
        slope_gain: fraction of the estimated ground slope the body's roll and pitch follow.
        early_contact_fraction: a swing foot touching down after this fraction of its swing bears load.
        qp: the stance-force QP's settings.
    """

    stand_s: float = 0.5
    ramp_s: float = 1.0
    max_acceleration_mps2: float = 1.5
    max_yaw_acceleration_radps2: float = 2.0
    height_kp: float = 100.0
    height_kd: float = 20.0
    height_ki: float = 50.0
    velocity_kd: float = 5.0
    velocity_ki: float = 2.0
    standing_position_kp: float = 30.0
    attitude_kp: tuple[float, float, float] = (150.0, 150.0, 60.0)
    attitude_kd: tuple[float, float, float] = (25.0, 25.0, 15.0)
    attitude_ki: float = 300.0
    max_heading_error_rad: float = 0.3
    raibert_gain: float = 1.0
    max_foothold_offset_fraction: float = 0.35
    swing_kp_scale: float = 0.5
    swing_kd_scale: float = 0.5
    touchdown_depth_m: float = 0.0
    touchdown_speed_mps: float = 0.3
    seek_speed_mps: float = 0.5
    max_seek_depth_m: float = 0.1
    slope_gain: float = 1.0
    early_contact_fraction: float = 0.75
    qp: ForceQPSettings = field(default_factory=ForceQPSettings)


def rotation_from_quaternion(q: np.ndarray) -> np.ndarray:
    """(x, y, z, w) unit quaternion → rotation matrix (body → world)."""
    x, y, z, w = (float(v) for v in q)
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a × b`` along the last axis (np.cross is ~10x slower on arrays this small)."""
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    return np.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)


def _rot_z(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _rpy_matrix(roll: float, pitch: float, yaw: float) -> np.ndarray:
    cr, sr, cp, sp = math.cos(roll), math.sin(roll), math.cos(pitch), math.sin(pitch)
    return _rot_z(yaw) @ np.array([[cp, sp * sr, sp * cr], [0.0, cr, -sr], [-sp, cp * sr, cp * cr]])


class ModelBasedController:
    """Stance-force QP + Raibert swing controller (see the module docstring). Implements ``Controller``.

    The env must run in ``motor_control="torque"`` mode; the action is ``τ / torque_limits``.

    Args:
        robot: the robot description (kinematics, torque limits, gains).
        gait: a model-based preset (scaled to the robot by Froude number, like the open-loop presets).
        body: the lumped rigid-body model (:func:`~envs.gaits.rigid_body.rigid_body_model`).
        control_dt_s: the env's control period, s.
        settings: gains and options.
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
        self._shoulders = self._hips + np.column_stack([np.zeros(4), robot.hip_lateral_offsets_m, np.zeros(4)])
        stand_feet = forward_kinematics(robot, robot.standing_angles)
        self.body_height_m = float(self.spec.body_height_m or -stand_feet[:, 2].mean())
        nominal = self._shoulders.copy()
        nominal[:, 2] -= self.body_height_m  # foot centres under the shoulders
        self._nominal_feet_hip = nominal - self._hips
        self._com_height_m = float(body.com_body_m[2] - nominal[:, 2].mean())  # above the foot-centre plane
        self._com_over_feet_xy = body.com_body_m[:2] - nominal[:, :2].mean(axis=0)  # standing CoM - foot centroid
        self.plan = ForcePlan(self.spec.stride_frequency_hz, self.spec.duty_factor, self.spec.phase_offsets,
                              gait.force_taper, body.mass_kg, body.inertia_body_kgm2, nominal - body.com_body_m)
        self.qp = StanceForceQP(settings.qp)
        self._tau_max = robot.torque_limit_array.reshape(4, 3)
        self._qd_max = np.asarray(robot.velocity_limits).reshape(4, 3)
        self._kp = np.asarray(robot.kp).reshape(4, 3) * settings.swing_kp_scale
        self._kd = np.asarray(robot.kd).reshape(4, 3) * settings.swing_kd_scale
        self._max_offset_m = settings.max_foothold_offset_fraction * robot.leg_length_m
        self._att_kp, self._att_kd = np.asarray(settings.attitude_kp), np.asarray(settings.attitude_kd)
        self._cmd_rate_limits = np.array([settings.max_acceleration_mps2, settings.max_acceleration_mps2,
                                          settings.max_yaw_acceleration_radps2])
        self.last_forces_world = np.zeros((4, 3))
        self.last_qp_solved = True
        self.reset()

    def reset(self) -> None:
        self._last_t: float | None = None
        self._yaw_ref = 0.0
        self._cmd = np.zeros(3)  # rate-limited (vx, vy, yaw rate), body frame
        self._height_integral = 0.0
        self._velocity_integral = np.zeros(2)  # heading frame, m
        self._attitude_integral = np.zeros(2)  # roll, pitch, rad·s
        self._ground_points = np.zeros((4, 3))  # world foot-centre positions where each foot last stood
        self._liftoff = np.zeros((4, 3))
        self._footholds = np.zeros((4, 3))
        self._plane = np.zeros(3)  # ground plane z = a + b·x + c·y through the ground points
        self._planned_stance = np.ones(4, dtype=bool)
        self._touched = np.zeros(4, dtype=bool)
        self.last_support = np.zeros(4, dtype=bool)

    # ------------------------------------------------------------------ one control step
    def act(self, observation: np.ndarray, state: RobotState, time_s: float, command: np.ndarray) -> np.ndarray:
        s = self.settings
        t = float(time_s)
        rot = rotation_from_quaternion(state.base_quaternion_world)
        yaw = math.atan2(rot[1, 0], rot[0, 0])
        q, qd = state.joint_angles, state.joint_velocities
        feet_hip = forward_kinematics(self.robot, q)
        jac = leg_jacobian(self.robot, q)
        origin = state.base_position_world - rot @ self.body.state_frame_offset_m
        feet_world = origin + (feet_hip + self._hips) @ rot.T
        if self._last_t is None or t < self._last_t:
            self._start(feet_world, yaw)
        dt = t - self._last_t if t > self._last_t else self.control_dt_s
        self._last_t = t
        com = origin + rot @ self.body.com_body_m
        vel, omega = state.base_lin_vel_world, state.base_ang_vel_world
        contacts = np.asarray(state.foot_contacts, dtype=bool)

        # 1. Schedule.
        gait_t = t - s.stand_s
        running = gait_t >= 0.0
        ramp = min(1.0, gait_t / s.ramp_s) if running and s.ramp_s > 0 else float(running)
        # Start-up: the duty factor shrinks from 1 (standing) to the gait's over ramp_s, so the first swings are
        # short and low and the support pattern grows into the gait's (a gallop started on its schedule would
        # begin on one leg).
        duty = 1.0 - (1.0 - self.spec.duty_factor) * ramp
        self._stance_s = duty / self.spec.stride_frequency_hz
        self._swing_s = max(1.0 - duty, 1e-3) / self.spec.stride_frequency_hz
        if running:
            phases = self.plan.leg_phases(gait_t)
            planned = phases < duty
            planned_forces = self.plan.leg_forces(phases, duty)
            ref = self.plan.reference(gait_t)
        else:
            phases = np.zeros(4)
            planned = np.ones(4, dtype=bool)
            planned_forces = self.plan.shares * self.body.mass_kg * GRAVITY_MPS2
            ref = None
        lifted = self._planned_stance & ~planned
        self._liftoff[lifted] = feet_world[lifted]
        self._touched &= planned
        self._touched |= planned & contacts
        swing_frac = np.minimum(np.maximum((phases - duty) / max(1.0 - duty, 1e-3), 0.0), 1.0)
        early = ~planned & contacts & (swing_frac >= s.early_contact_fraction)
        support = self._touched | early
        landed = support & ~self.last_support
        if landed.any():  # where a foot lands is where the ground is
            self._ground_points[landed] = feet_world[landed]
            self._plane = self._ground_plane()
        self._planned_stance = planned

        # 2. Command, ground plane, references.
        target = np.asarray(command, dtype=float) * ramp
        self._swing_height_m = self.spec.swing_height_m * ramp
        limits = self._cmd_rate_limits * dt
        self._cmd += np.minimum(np.maximum(target - self._cmd, -limits), limits)
        heading = _rot_z(yaw)
        v_des = heading[:2, :2] @ self._cmd[:2]
        self._yaw_ref += self._cmd[2] * dt
        yaw_error = (self._yaw_ref - yaw + math.pi) % (2 * math.pi) - math.pi
        if abs(yaw_error) > s.max_heading_error_rad:
            self._yaw_ref = yaw + math.copysign(s.max_heading_error_rad, yaw_error)
        plane = self._plane
        slope_x = plane[1] * heading[0, 0] + plane[2] * heading[1, 0]  # dz/dx along the heading
        slope_y = plane[1] * heading[0, 1] + plane[2] * heading[1, 1]
        roll_des = s.slope_gain * math.atan(slope_y)
        pitch_des = -s.slope_gain * math.atan(slope_x)
        ref_h = ref_vz = ref_az = 0.0
        ref_rp = ref_rp_rate = ref_rp_acc = np.zeros(2)
        if ref is not None:  # the plan's motion, eased in with the gait
            ref_h, ref_vz, ref_az = (ramp * ref.height_m, ramp * ref.vertical_velocity_mps,
                                     ramp * ref.vertical_acceleration_mps2)
            ref_rp, ref_rp_rate, ref_rp_acc = (ramp * ref.roll_pitch_rad, ramp * ref.roll_pitch_rate_radps,
                                               ramp * ref.roll_pitch_acceleration_radps2)

        # Body wrench: feed-forward plan + PD around its reference motion.
        height_error = plane[0] + plane[1] * com[0] + plane[2] * com[1] + self._com_height_m + ref_h - com[2]
        if support.any():
            self._height_integral = min(max(self._height_integral + height_error * dt, -0.05), 0.05)
        accel = np.empty(3)
        v_error = v_des - vel[:2]
        if support.any():
            cap = 1.0 / max(s.velocity_ki, 1e-9)
            self._velocity_integral = np.minimum(np.maximum(self._velocity_integral + v_error * dt, -cap), cap)
        accel[:2] = s.velocity_kd * v_error + s.velocity_ki * self._velocity_integral
        if not running:  # standing: hold the centre of mass over the feet (velocity feedback alone lets it drift)
            over_feet = feet_world[:, :2].mean(axis=0) + heading[:2, :2] @ self._com_over_feet_xy
            accel[:2] += s.standing_position_kp * (over_feet - com[:2])
        accel[2] = (ref_az + s.height_kp * height_error + s.height_kd * (ref_vz - vel[2])
                    + s.height_ki * self._height_integral)
        r_des = _rpy_matrix(roll_des + ref_rp[0], pitch_des + ref_rp[1], self._yaw_ref)
        e = r_des @ rot.T
        att_error = 0.5 * np.array([e[2, 1] - e[1, 2], e[0, 2] - e[2, 0], e[1, 0] - e[0, 1]])
        omega_h = heading.T @ omega
        att_error_h = heading.T @ att_error
        if support.any():  # roll and pitch integral: absorbs centre-of-mass offsets the lumped model does not see
            self._attitude_integral = np.minimum(np.maximum(self._attitude_integral + att_error_h[:2] * dt, -0.02),
                                                 0.02)
        ang_acc_h = (np.array([ref_rp_acc[0], ref_rp_acc[1], 0.0]) + self._att_kp * att_error_h
                     + self._att_kd * (np.array([ref_rp_rate[0], ref_rp_rate[1], self._cmd[2]]) - omega_h))
        ang_acc_h[:2] += s.attitude_ki * self._attitude_integral
        inertia_w = rot @ self.body.inertia_body_kgm2 @ rot.T
        wrench = np.empty(6)
        wrench[:3] = self.body.mass_kg * accel
        wrench[2] += self.body.mass_kg * GRAVITY_MPS2
        wrench[3:] = inertia_w @ (heading @ ang_acc_h) + _cross(omega, inertia_w @ omega)

        # 3. Stance forces → torques.
        force_to_torque = -np.transpose(jac, (0, 2, 1)) @ rot.T  # (4, 3, 3): τ_leg = M f_world
        reference = np.zeros((4, 3))
        reference[:, 2] = np.where(planned, planned_forces, 0.0)
        result = self.qp.solve(support, feet_world - com, wrench, reference, force_to_torque, self._tau_max)
        self.last_forces_world, self.last_support, self.last_qp_solved = result.forces_world, support, result.solved
        self.last_wrench_desired, self.last_wrench_achieved = wrench, result.achieved_wrench
        tau = np.einsum("lij,lj->li", force_to_torque, result.forces_world)

        # 4. Swing legs (and planned-stance legs still reaching for the ground).
        free = ~support
        if free.any():
            tau[free] = self._swing_torques(free, running, planned, phases, swing_frac, feet_world, feet_hip, jac,
                                            q, qd, rot, origin, state, com, vel, v_des, plane)[free]
        return np.clip(tau.reshape(-1) / self.robot.torque_limit_array, -1.0, 1.0).astype(np.float32)

    # ------------------------------------------------------------------ pieces
    def _start(self, feet_world: np.ndarray, yaw: float) -> None:
        self._last_t = -self.control_dt_s
        self._yaw_ref = yaw
        self._ground_points = feet_world.copy()
        self._plane = self._ground_plane()
        self._liftoff = feet_world.copy()
        self._footholds = feet_world.copy()

    def _ground_plane(self) -> np.ndarray:
        """Least-squares plane z = a + b·x + c·y (world) through the feet's last stance points: (a, b, c)."""
        p = self._ground_points
        a = np.column_stack([np.ones(4), p[:, 0], p[:, 1]])
        return np.linalg.solve(a.T @ a + 1e-9 * np.eye(3), a.T @ p[:, 2])

    def _swing_torques(self, free, running, planned, phases, swing_frac, feet_world, feet_hip, jac, q, qd, rot,
                       origin, state, com, vel, v_des, plane) -> np.ndarray:
        s = self.settings
        targets_hip = self._nominal_feet_hip.copy()  # standing, before the gait starts
        vel_world = np.zeros((4, 3))
        if running:
            swinging = ~planned
            if swinging.any():
                shoulders = (origin + self._shoulders @ rot.T)[:, :2]
                footholds = raibert_footholds(shoulders, (1.0 - swing_frac) * self._swing_s, self._stance_s,
                                              vel[:2], v_des, self._cmd[2], com[:2], self._com_height_m,
                                              s.raibert_gain, self._max_offset_m)
                end = np.column_stack([footholds, plane[0] + footholds @ plane[1:] - s.touchdown_depth_m])
                self._footholds[swinging] = end[swinging]
            seeking = planned & free
            pos, vel_world = swing_trajectory(swing_frac, self._swing_s, self._liftoff, self._footholds,
                                              self._swing_height_m, s.touchdown_speed_mps)
            if seeking.any():
                late_s = phases * (1.0 / self.spec.stride_frequency_hz)  # time since planned touch-down
                depth = np.minimum(s.seek_speed_mps * late_s, s.max_seek_depth_m)
                pos[seeking] = self._footholds[seeking]
                pos[seeking, 2] -= depth[seeking]
                vel_world[seeking] = (0.0, 0.0, -s.seek_speed_mps)
            targets_hip = (pos - origin) @ rot - self._hips
        ik = inverse_kinematics(self.robot, targets_hip)
        # Foot velocity relative to the body, body axes, then joint velocities through the Jacobian.
        rel = vel_world - state.base_lin_vel_world - _cross(state.base_ang_vel_world,
                                                            feet_world - state.base_position_world)
        v_body = rel @ rot
        # Damped least squares, so a leg near full extension (singular) does not ask for huge joint speeds.
        jjt = jac @ np.transpose(jac, (0, 2, 1)) + (0.05 * self.robot.leg_length_m) ** 2 * np.eye(3)
        qd_des = (np.transpose(jac, (0, 2, 1)) @ np.linalg.solve(jjt, v_body[:, :, None]))[:, :, 0]
        qd_des = np.minimum(np.maximum(qd_des, -self._qd_max), self._qd_max)
        q_des = ik.joint_angles.reshape(4, 3)
        return self._kp * (q_des - q.reshape(4, 3)) + self._kd * (qd_des - qd.reshape(4, 3))


def make_model_based_controller(robot: RobotDescription, gait: str | ModelBasedGait, control_dt_s: float,
                                urdf_path: str | None = None,
                                settings: ModelBasedSettings = ModelBasedSettings()) -> ModelBasedController:
    """Build a :class:`ModelBasedController` for ``robot`` running ``gait`` (a preset name or a
    :class:`~envs.gaits.model_based_presets.ModelBasedGait`), reading masses and inertias from the robot's URDF
    (``urdf_path``, default: the description's, resolved by :func:`envs.sim.resolve_robot_urdf`)."""
    if urdf_path is None:
        from envs.sim import resolve_robot_urdf  # PyBullet's data path; the controller itself does not need it

        urdf_path = resolve_robot_urdf(robot)
    preset = get_model_based_gait(gait) if isinstance(gait, str) else gait
    return ModelBasedController(robot, preset, rigid_body_model(robot, urdf_path), control_dt_s, settings)
