"""The MuJoCo twin of :class:`envs.sim.Simulation`: the same robot, motor model and rates in another engine.

Built from the same URDF and robot description (needs ``pip install quadgait[mujoco]``):

* the URDF is compiled by MuJoCo's own URDF importer through :class:`mujoco.MjSpec`, with visuals discarded, the
  fixed toe links kept as bodies (``fusestatic="false"``: feet are found by link name, as in PyBullet) and
  ``boundmass``/``boundinertia`` so that massless links (pybullet_data's y-up Laikago hips) compile;
* a free joint on the base (the importer welds the root link to the world) and one torque actuator per joint;
* robot-floor contacts only (with MuJoCo's default collisions the leg hulls of the stock meshes collide with the
  body and the robot collapses), friction taken from the floor (``priority``) so that ``ground_friction`` is the
  effective foot-ground coefficient, as PyBullet's product of the Laikago's 1.0 and the ground's;
* the same motor model as PyBullet's shell: the explicit PD law in controller coordinates at every physics step,
  torque and speed limits (:mod:`envs.sim` states it), the same physics and control rates.

What differs, on purpose or for lack of a counterpart (``docs/sim-to-sim.md``): MuJoCo's soft contacts and its
Newton solver (``solver_iterations`` is PyBullet's and is not used), no spinning friction at the feet (condim 3),
flat ground only, no payload body (no domain randomization). The env refuses the options it cannot honour.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from envs.robots.description import GRAVITY_MPS2, RobotDescription
from envs.robots.urdf_files import resolve_robot_urdf
from envs.state import RobotState
from envs.terrain import TerrainSpec

try:
    import mujoco
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("engine='mujoco' needs the optional extra: pip install 'quadgait[mujoco]'") from exc

_DOWN = np.array([0.0, 0.0, -1.0])
#: Lower bounds on link mass (kg) and inertia (kg·m²) given to MuJoCo's compiler: massless links would not compile.
BOUND_MASS_KG = 1e-4
BOUND_INERTIA = 1e-8
_COMPILER = (f'<mujoco><compiler discardvisual="true" fusestatic="false" boundmass="{BOUND_MASS_KG}" '
             f'boundinertia="{BOUND_INERTIA}" angle="radian"/></mujoco>')


def euler_from_quaternion(q_xyzw: np.ndarray) -> np.ndarray:
    """Roll, pitch, yaw (rad) of a quaternion (x, y, z, w): PyBullet's ``getEulerFromQuaternion`` convention."""
    x, y, z, w = np.asarray(q_xyzw, dtype=float).tolist()
    return np.array([math.atan2(2.0 * (w * x + y * z), 1.0 - 2.0 * (x * x + y * y)),
                     math.asin(max(-1.0, min(1.0, 2.0 * (w * y - z * x)))),
                     math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))])


def build_model(robot: RobotDescription, physics_hz: float, ground_friction: float = 1.0,
                added_base_mass_kg: float = 0.0) -> mujoco.MjModel:
    """Compile ``robot``'s URDF into a MuJoCo model: floor, free base, torque actuators, robot-floor contacts."""
    urdf = Path(resolve_robot_urdf(robot))
    text = urdf.read_text(encoding="utf-8")
    text, found = re.subn(r"(<robot\b[^>]*>)", r"\1" + _COMPILER, text, count=1)
    if not found:
        raise ValueError(f"robot {robot.name!r}: its URDF has no <robot> element")
    spec = mujoco.MjSpec.from_string(text)
    spec.meshdir = str(urdf.parent)  # collision meshes named relative to the URDF (the stock Laikago's)
    spec.option.timestep = 1.0 / physics_hz
    spec.option.gravity = [0.0, 0.0, -GRAVITY_MPS2]
    base = spec.worldbody.first_body()
    base.add_freejoint(name="base")
    if added_base_mass_kg:
        base.mass = base.mass + added_base_mass_kg
    for geom in spec.geoms:  # robot geoms collide with the floor only (contype 1 & floor's conaffinity 1)
        geom.contype, geom.conaffinity, geom.condim = 1, 0, 3
    spec.worldbody.add_geom(name="floor", type=mujoco.mjtGeom.mjGEOM_PLANE, size=[0.0, 0.0, 0.05],
                            contype=0, conaffinity=1, condim=3, priority=1,
                            friction=[_floor_friction(robot, ground_friction), 0.005, 0.0001])
    joint_names = {j.name for j in spec.joints}
    missing = [n for n in robot.urdf_joint_names if n not in joint_names]
    body_names = {b.name for b in spec.bodies}
    missing += [n for n in (*robot.foot_link_names, *robot.body_contact_links) if n not in body_names]
    if missing:
        raise ValueError(f"robot {robot.name!r}: the MuJoCo model lacks {missing}; it has joints "
                         f"{sorted(joint_names)}")
    for name in robot.urdf_joint_names:  # PD actuators; gains and limits are set by MujocoSimulation
        spec.add_actuator(name=name, trntype=mujoco.mjtTrn.mjTRN_JOINT, target=name, group=0,
                          gaintype=mujoco.mjtGain.mjGAIN_FIXED, biastype=mujoco.mjtBias.mjBIAS_AFFINE,
                          forcelimited=True, forcerange=[-1.0, 1.0])
    return spec.compile()


def _floor_friction(robot: RobotDescription, ground_friction: float) -> float:
    # PyBullet multiplies the foot's and the ground's coefficients; the floor's priority makes MuJoCo use its own.
    foot = 1.0 if robot.foot_lateral_friction is None else robot.foot_lateral_friction
    return float(ground_friction) * foot


class MujocoSimulation:
    """One MuJoCo model and data holding a floor and one robot (the :class:`envs.engine.Engine` interface).

    Joint quantities at this interface are controller angles/velocities/torques (see the robot description).
    """

    def __init__(self, robot: RobotDescription, settings) -> None:
        if settings.terrain != "flat":
            raise ValueError(f"engine 'mujoco' supports terrain 'flat' only, got {settings.terrain!r}")
        if settings.payload_body or settings.self_collision or settings.gui:
            raise ValueError("engine 'mujoco' supports no payload body, self collision or GUI client")
        self.robot = robot
        self.settings = settings
        self.dt_s = 1.0 / settings.physics_hz
        self.terrain = TerrainSpec.parse("flat")
        self.terrain_heights: np.ndarray | None = None  # flat ground only (no heightfield)
        self.model = build_model(robot, settings.physics_hz, settings.ground_friction, settings.added_base_mass_kg)
        self.data = mujoco.MjData(self.model)
        m = self.model
        joints = [m.joint(n) for n in robot.urdf_joint_names]
        self._qadr = np.array([int(j.qposadr[0]) for j in joints])
        self._vadr = np.array([int(j.dofadr[0]) for j in joints])
        self._base_body = int(m.body(m.joint("base").bodyid[0]).id)
        self._floor_geom = int(m.geom("floor").id)
        self._foot_bodies = [int(m.body(n).id) for n in robot.foot_link_names]
        self._foot_index = {b: i for i, b in enumerate(self._foot_bodies)}
        self._body_contact_ids = {self._base_body} | {int(m.body(n).id) for n in robot.body_contact_links}
        geom_body = m.geom_bodyid.tolist()
        self._foot_geoms = {g: self._foot_index[b] for g, b in enumerate(geom_body) if b in self._foot_index}
        self._body_contact_geoms = {g for g, b in enumerate(geom_body) if b in self._body_contact_ids}
        self._quat_xyzw = np.array([4, 5, 6, 3])
        first = int(self._vadr[0])
        contiguous = np.array_equal(self._vadr, np.arange(first, first + robot.num_joints))
        self._joint_qvel = ((lambda qvel: qvel[first:first + 12]) if contiguous
                            else (lambda qvel: qvel[self._vadr]))
        self._slowest_limit = float(np.min(robot.velocity_limits))
        self._actuators_on = True
        self.total_mass_kg = float(m.body_mass[1:].sum())
        self._base_ipos = m.body_ipos[self._base_body].copy()  # the base's centre of mass in its link frame
        self._base_com_offset = bool(np.any(self._base_ipos))
        self._directions = np.array(robot.joint_directions)
        self._offsets = np.array(robot.joint_offsets)
        self._qd_max = np.array(robot.velocity_limits)
        self._lower, self._upper = robot.lower_limits, robot.upper_limits
        self.set_motor_scales()
        self.time_s = 0.0
        self._last_torques = np.zeros(robot.num_joints)
        self._pending_force: np.ndarray | None = None
        self._force6 = np.zeros(6)
        self._closed = False

    # ------------------------------------------------------------------ reset / step
    def reset(self, base_position: np.ndarray, base_quaternion: np.ndarray, joint_angles: np.ndarray,
              joint_velocities: np.ndarray | None = None, base_lin_vel: np.ndarray | None = None,
              base_ang_vel: np.ndarray | None = None) -> RobotState:
        """Place the robot (world frame, quaternion x, y, z, w; controller joint angles) and return its state.

        As in PyBullet, the base position is that of the base's centre of mass and the base velocities are world
        frame."""
        m, d = self.model, self.data
        mujoco.mj_resetData(m, d)
        x, y, z, w = (float(v) for v in base_quaternion)
        quat_wxyz = np.array([w, x, y, z]) / math.sqrt(w * w + x * x + y * y + z * z)
        rot_flat = np.empty(9)
        mujoco.mju_quat2Mat(rot_flat, quat_wxyz)
        rot = rot_flat.reshape(3, 3)
        d.qpos[0:3] = np.asarray(base_position, dtype=float) - rot @ self._base_ipos
        d.qpos[3:7] = quat_wxyz
        d.qpos[self._qadr] = self.robot.controller_to_urdf(joint_angles)
        lin = np.zeros(3) if base_lin_vel is None else np.asarray(base_lin_vel, dtype=float)
        ang = np.zeros(3) if base_ang_vel is None else np.asarray(base_ang_vel, dtype=float)
        d.qvel[0:3] = lin - np.cross(ang, rot @ self._base_ipos)  # the link origin's velocity
        d.qvel[3:6] = rot.T @ ang  # a free joint's angular velocity is in the body frame
        if joint_velocities is not None:
            d.qvel[self._vadr] = np.asarray(joint_velocities, dtype=float) * self._directions
        mujoco.mj_forward(m, d)
        self.time_s = 0.0
        self._last_torques = np.zeros(self.robot.num_joints)
        self._pending_force = None
        return self.state()

    def set_motor_scales(self, strength: float = 1.0, kp_scale: float = 1.0, kd_scale: float = 1.0) -> None:
        """Scale torque limits and PD gains relative to the robot description (domain randomization)."""
        self._tau_max = np.array(self.robot.torque_limits) * strength
        self._kp = np.array(self.robot.kp) * kp_scale
        self._kd = np.array(self.robot.kd) * kd_scale
        # The PD law in URDF coordinates (directions are ±1, so the gains carry over):
        # τ_urdf = kp · (ctrl − q_urdf) − kd · q̇_urdf with ctrl = controller_to_urdf(q*), clipped to ±τ_max.
        m = self.model
        m.actuator_gainprm[:, 0] = self._kp
        m.actuator_biasprm[:, 0:3] = np.stack([np.zeros(12), -self._kp, -self._kd], axis=1)
        m.actuator_forcerange[:] = np.stack([-self._tau_max, self._tau_max], axis=1)

    def set_ground_friction(self, friction: float) -> None:
        self.model.geom_friction[self._floor_geom, 0] = _floor_friction(self.robot, friction)

    def push_base(self, impulse_world_ns: np.ndarray) -> None:
        """Apply an impulse (N·s, world frame) to the base's centre of mass during the next physics step."""
        self._pending_force = np.asarray(impulse_world_ns, dtype=float) / self.dt_s

    def set_payload(self, mass_kg: float, offset_body_m: np.ndarray) -> None:
        raise RuntimeError("engine 'mujoco' has no payload body (domain randomization is PyBullet-only)")

    @property
    def payload_mass_kg(self) -> float:
        return 0.0

    def joint_state(self) -> tuple[np.ndarray, np.ndarray]:
        """Controller joint angles (rad) and velocities (rad/s), each (12,)."""
        d = self.data
        return (d.qpos[self._qadr] - self._offsets) * self._directions, d.qvel[self._vadr] * self._directions

    def clip_targets(self, targets: np.ndarray) -> np.ndarray:
        return np.minimum(np.maximum(targets, self._lower), self._upper)

    def step_position(self, joint_targets: np.ndarray, substeps: int) -> None:
        """Run ``substeps`` physics steps of the PD law towards ``joint_targets`` (controller angles, rad)."""
        self._run_motors(self.clip_targets(np.asarray(joint_targets, dtype=float)), True, substeps)

    def step_torque(self, torques: np.ndarray, substeps: int) -> None:
        """Run ``substeps`` physics steps applying ``torques`` (controller frame, N·m), clipped to the limits."""
        self._run_motors(np.asarray(torques, dtype=float), False, substeps)

    def _run_motors(self, command: np.ndarray, pd: bool, substeps: int) -> None:
        """The motor model of :mod:`envs.sim` for ``substeps`` physics steps: ``command`` is q* (controller angles,
        PD law, ``pd``) or a constant torque τ (N·m, controller frame).

        The PD law with its torque limit runs in MuJoCo's position actuators (the same law, evaluated in C on the
        state at the start of each physics step, as the Python law of :mod:`envs.sim` is). A physics step at which
        a joint is past its speed limit, and every torque-mode step, runs the law in Python instead, so the speed
        limit (no torque pushing further in the direction of motion) holds exactly as in PyBullet's shell. (The
        gate is the norm of the joint speeds: at or below the slowest limit, no joint can be past its own.)
        """
        m, d, step, norm = self.model, self.data, mujoco.mj_step, mujoco.mju_norm
        vadr, direction, qd_max, tau_max = self._vadr, self._directions, self._qd_max, self._tau_max
        joint_qvel = self._joint_qvel
        slowest_limit = self._slowest_limit
        if pd:
            d.ctrl[:] = command * direction + self._offsets
        tau = None
        for _ in range(substeps):
            if self._pending_force is not None:
                d.xfrc_applied[self._base_body, 0:3] = self._pending_force
            if pd and norm(joint_qvel(d.qvel)) <= slowest_limit:
                self._set_actuators(True)
                step(m, d)
                tau = None
            else:
                qd = d.qvel[vadr] * direction
                if pd:
                    q = (d.qpos[self._qadr] - self._offsets) * direction
                    tau = self._kp * command - self._kp * q - self._kd * qd
                else:
                    tau = command
                tau = np.minimum(np.maximum(tau, -tau_max), tau_max)
                # Beyond its speed limit a motor cannot push further in the direction it is already moving.
                tau = np.where((tau * qd > 0) & (np.abs(qd) > qd_max), 0.0, tau)
                d.qfrc_applied[vadr] = tau * direction
                self._set_actuators(False)
                step(m, d)
                d.qfrc_applied[vadr] = 0.0
            if self._pending_force is not None:
                d.xfrc_applied[self._base_body, 0:3] = 0.0
                self._pending_force = None
            self.time_s += self.dt_s
        if substeps > 0:
            self._last_torques = d.actuator_force * direction if tau is None else np.array(tau)

    def _set_actuators(self, on: bool) -> None:
        if on != self._actuators_on:  # (a model option write costs more than the comparison)
            self.model.opt.disableactuator = 0 if on else 1  # bit 0: actuator group 0, the PD actuators
            self._actuators_on = on

    # ------------------------------------------------------------------ state
    def state(self) -> RobotState:
        """Read the robot's state (fresh arrays). Contacts are those of the last physics step, as PyBullet's."""
        m, d = self.model, self.data
        mujoco.mj_kinematics(m, d)  # positions of this state (mj_step leaves those of the step's start)
        qpos, qvel = d.qpos, d.qvel
        base = self._base_body
        quat = qpos[self._quat_xyzw]  # MuJoCo w, x, y, z -> x, y, z, w
        rot = d.xmat[base]  # body -> world, row-major 3x3
        ang_body = qvel[3:6].copy()  # a free joint's angular velocity is in the body frame
        ang_w, lin_body, gravity = np.empty(3), np.empty(3), np.empty(3)
        mujoco.mju_mulMatVec3(ang_w, rot, ang_body)
        lin_w = qvel[0:3].copy()
        if self._base_com_offset:
            com = np.empty(3)
            mujoco.mju_mulMatVec3(com, rot, self._base_ipos)
            lin_w += np.cross(ang_w, com)
        mujoco.mju_mulMatTVec3(lin_body, rot, lin_w)
        mujoco.mju_mulMatTVec3(gravity, rot, _DOWN)
        q, qd = self.joint_state()
        contacts = [False] * 4
        forces = [0.0] * 4
        body_contact = False
        ncon = d.ncon
        if ncon:
            force6, feet, body_geoms = self._force6, self._foot_geoms, self._body_contact_geoms
            for i, (g1, g2) in enumerate(d.contact.geom[:ncon].tolist()):
                geom = g2 if g1 == self._floor_geom else g1  # robot geoms touch only the floor
                leg = feet.get(geom)
                if leg is not None:
                    mujoco.mj_contactForce(m, d, i, force6)
                    contacts[leg] = True
                    forces[leg] += float(force6[0])
                elif geom in body_geoms:
                    body_contact = True
        return RobotState(
            time_s=self.time_s,
            base_position_world=d.xipos[base].copy(),
            base_quaternion_world=quat,
            base_rpy=euler_from_quaternion(quat),
            projected_gravity_body=gravity,
            base_lin_vel_world=lin_w,
            base_lin_vel_body=lin_body,
            base_ang_vel_world=ang_w,
            base_ang_vel_body=ang_body,
            joint_angles=q,
            joint_velocities=qd,
            joint_torques=self._last_torques.copy(),
            foot_contacts=np.array(contacts),
            foot_normal_forces=np.array(forces),
            foot_positions_world=d.xpos[self._foot_bodies],
            body_ground_contact=body_contact,
        )

    def close(self) -> None:
        """Nothing to release (the model and data are freed with the object); idempotent."""
        self._closed = True
