"""The simulation shell: one PyBullet client, a ground plane and one robot, stepped with a motor model.

Motor model (why it runs in Python): PyBullet's built-in POSITION_CONTROL motors are constraint-based, so their
"gains" are not N·m/rad and their torque limit interacts with the solver. We disable them and run an explicit PD
law in controller coordinates at every physics substep::

    τ = clip(kp · (q* − q) − kd · q̇, −τ_max, τ_max),   and τ = 0 where |q̇| > q̇_max and τ pushes the same way

and apply τ with TORQUE_CONTROL.

Why in Python (``python -m benchmarks.motor_probe`` measures each claim on the installed PyBullet): PyBullet's
``PD_CONTROL`` computes this law (without the speed limit) before every internal physics step, in URDF coordinates
with gains in N·m/rad, but with ``numSubSteps`` > 1 each internal step adds its torque to those of the steps before
(joint torques are cleared once per ``stepSimulation`` call, not per internal step), it reports zero applied torque,
and its command and per-step bookkeeping add three to five times what the Python law adds to bare stepping.
POSITION_CONTROL motors are cheap but are velocity constraints, a different motor (the scripted trot's distance and
cost of transport move by 7-33%), so the law stays in Python, in a lean loop (:meth:`Simulation._run_motors`).

Stability: at 250 Hz, kp = 300 N·m/rad and kd = 3 N·m·s/rad give kd·dt/I ≈ 0.9 and kp·dt²/I ≈ 0.35 for the
lightest joint (calf, I ≈ 0.014 kg·m²), inside the explicit bound; ``tests/envs/test_env.py`` checks the pose holds.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from envs._pybullet import BulletClient, pybullet, pybullet_data, quiet_stdout
from envs.config import EnvSettings
from envs.numerics import matvec3
from envs.robots.description import GRAVITY_MPS2, RobotDescription
from envs.robots.urdf_files import resolve_robot_urdf  # noqa: F401  (re-exported: envs.sim.resolve_robot_urdf)
from envs.state import RobotState

MOTOR_CONTROL_MODES = ("pd", "torque")
_DOWN = np.array([0.0, 0.0, -1.0])  # gravity's direction, world frame
_DOWN.flags.writeable = False


@dataclass(frozen=True)
class PhysicsSettings:
    """Physics settings of one simulation.

    Attributes:
        physics_hz: physics steps per second (the PD law runs at this rate).
        solver_iterations: PyBullet constraint-solver iterations per step.
        ground_friction: lateral friction coefficient of the ground.
        self_collision: whether the robot's links collide with each other.
        added_base_mass_kg: payload added to the base link, kg (at the base's centre of mass).
        terrain: ``TYPE:LEVEL`` (see :mod:`envs.terrain`); ``"flat"`` is PyBullet's plane.
        terrain_seed: seed of the terrain's random heights (rough terrain).
        payload_body: add a movable point-mass payload fixed to the base (domain randomization of payload mass
            and centre of mass); it weighs 1 g until :meth:`Simulation.set_payload` says otherwise.
        gui: open the PyBullet GUI instead of a headless DIRECT client (see :mod:`envs.viewer`).
        visual_shapes: load the robot's visual meshes. Only rendering needs them, and they cost about 170 MB per
            client (the laikago meshes), so envs load them only for ``render_mode="rgb_array"``.
    """

    # The env's settings are the one source of the physics defaults.
    physics_hz: float = EnvSettings.physics_hz
    solver_iterations: int = EnvSettings.solver_iterations
    ground_friction: float = EnvSettings.ground_friction
    self_collision: bool = EnvSettings.self_collision
    added_base_mass_kg: float = EnvSettings.added_base_mass_kg
    terrain: str = EnvSettings.terrain
    terrain_seed: int = EnvSettings.terrain_seed
    payload_body: bool = False
    gui: bool = False
    visual_shapes: bool = True


class Simulation:
    """One PyBullet client holding a ground plane and one robot.

    Joint quantities at this interface are controller angles/velocities/torques (see the robot description).
    """

    def __init__(self, robot: RobotDescription, settings: PhysicsSettings = PhysicsSettings()) -> None:
        self.robot = robot
        self.settings = settings
        self.dt_s = 1.0 / settings.physics_hz
        if settings.gui and sys.platform.startswith("linux") and not (
                os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            # PyBullet's GUI connect kills the whole process when there is no display; fail politely instead.
            raise RuntimeError("the PyBullet GUI needs a display (DISPLAY is not set); use render_mode='rgb_array' "
                               "or run under xvfb-run")
        with quiet_stdout():
            self._p = BulletClient(connection_mode=pybullet.GUI if settings.gui else pybullet.DIRECT)
        self._closed = False
        self._cid = self._p._client
        try:
            self._load()
        except Exception:
            self.close()
            raise
        self.time_s = 0.0
        self._last_torques = np.zeros(robot.num_joints)
        self._pending_force: list[float] | None = None

    # ------------------------------------------------------------------ set-up
    def _load(self) -> None:
        p = self._p
        p.setGravity(0, 0, -GRAVITY_MPS2)
        p.setPhysicsEngineParameter(fixedTimeStep=self.dt_s, numSolverIterations=self.settings.solver_iterations,
                                    numSubSteps=0, deterministicOverlappingPairs=1)
        if self.settings.gui:
            p.configureDebugVisualizer(pybullet.COV_ENABLE_GUI, 0)
        with quiet_stdout():
            self.ground_id = self._load_ground()
            # Without URDF_USE_INERTIA_FROM_FILE PyBullet recomputes inertia from the collision shapes, so the two
            # Laikago variants (mesh vs primitive collisions) would have different dynamics.
            flags = pybullet.URDF_USE_INERTIA_FROM_FILE
            if self.settings.self_collision:
                flags |= pybullet.URDF_USE_SELF_COLLISION
            if not self.settings.visual_shapes:
                flags |= pybullet.URDF_IGNORE_VISUAL_SHAPES
            self.robot_id = p.loadURDF(resolve_robot_urdf(self.robot), [0, 0, self.robot.spawn_height_m],
                                       flags=flags)
        p.changeDynamics(self.ground_id, -1, lateralFriction=self.settings.ground_friction)
        joints = {}
        links = {}
        for j in range(p.getNumJoints(self.robot_id)):
            info = p.getJointInfo(self.robot_id, j)
            joints[info[1].decode()] = j
            links[info[12].decode()] = j
        missing = [n for n in self.robot.urdf_joint_names if n not in joints]
        missing += [n for n in self.robot.foot_link_names if n not in links]
        missing += [n for n in self.robot.body_contact_links if n not in links]
        if missing:
            raise ValueError(f"robot {self.robot.name!r}: URDF lacks {missing}; it has joints {sorted(joints)}")
        self.joint_ids = [joints[n] for n in self.robot.urdf_joint_names]
        self.foot_link_ids = [links[n] for n in self.robot.foot_link_names]
        self._foot_index = {link: i for i, link in enumerate(self.foot_link_ids)}
        for link in self.foot_link_ids:  # see RobotDescription.foot_spinning_friction for why
            p.changeDynamics(self.robot_id, link, spinningFriction=self.robot.foot_spinning_friction)
            if self.robot.foot_lateral_friction is not None:
                p.changeDynamics(self.robot_id, link, lateralFriction=self.robot.foot_lateral_friction)
        self._body_contact_ids = {-1} | {links[n] for n in self.robot.body_contact_links}
        self.num_pybullet_joints = p.getNumJoints(self.robot_id)
        if self.settings.added_base_mass_kg:
            base_mass = p.getDynamicsInfo(self.robot_id, -1)[0]
            p.changeDynamics(self.robot_id, -1, mass=base_mass + self.settings.added_base_mass_kg)
        # Switch off PyBullet's default velocity motors so our torques are the only actuation.
        p.setJointMotorControlArray(self.robot_id, self.joint_ids, pybullet.VELOCITY_CONTROL,
                                    forces=[0.0] * len(self.joint_ids))
        self.total_mass_kg = float(sum(p.getDynamicsInfo(self.robot_id, link)[0]
                                       for link in range(-1, self.num_pybullet_joints)))
        self.payload_id = self._payload_constraint = None
        self._payload_offset = np.zeros(3)
        if self.settings.payload_body:
            sphere = p.createCollisionShape(pybullet.GEOM_SPHERE, radius=0.02)
            base_pos = p.getBasePositionAndOrientation(self.robot_id)[0]
            self.payload_id = p.createMultiBody(0.001, sphere, basePosition=base_pos)
            p.setCollisionFilterGroupMask(self.payload_id, -1, 0, 0)  # a mass, not an obstacle
            self._payload_constraint = p.createConstraint(self.robot_id, -1, self.payload_id, -1,
                                                          pybullet.JOINT_FIXED, [0, 0, 0], [0, 0, 0], [0, 0, 0])
            p.changeConstraint(self._payload_constraint, maxForce=1e5)
        self._directions = np.array(self.robot.joint_directions)
        self._offsets = np.array(self.robot.joint_offsets)
        self._kp = np.array(self.robot.kp)
        self._kd = np.array(self.robot.kd)
        self._tau_max = np.array(self.robot.torque_limits)
        self._qd_max = np.array(self.robot.velocity_limits)
        self._lower = self.robot.lower_limits
        self._upper = self.robot.upper_limits
        self._motor_param_cache: tuple[tuple[float, ...], ...] | None = None
        # Snapshot of the freshly loaded world; restoring it on reset clears contact caches and solver warm starts,
        # so an episode does not depend on the episodes before it.
        self._initial_state_id = p.saveState()

    def _load_ground(self) -> int:
        from envs.terrain import CELL_M, TerrainSpec, grid_axes, heightfield

        p = self._p
        self.terrain = TerrainSpec.parse(self.settings.terrain)
        if self.terrain.kind == "flat":
            self.terrain_heights = None
            return p.loadURDF(str(Path(pybullet_data.getDataPath()) / "plane.urdf"))
        heights = heightfield(self.terrain, self.settings.terrain_seed)
        self.terrain_heights = heights
        xs, ys = grid_axes()
        if self.terrain.kind == "stairs":
            return self._load_stairs(xs, ys, heights[:, 0])
        shape = p.createCollisionShape(
            pybullet.GEOM_HEIGHTFIELD, meshScale=[CELL_M, CELL_M, 1.0],
            heightfieldData=heights.flatten(order="F").tolist(),  # index = row + column * rows, rows along x
            numHeightfieldRows=xs.size, numHeightfieldColumns=ys.size)
        # PyBullet centres a heightfield on the middle of its height range.
        centre = [(xs[0] + xs[-1]) / 2, (ys[0] + ys[-1]) / 2, (heights.min() + heights.max()) / 2]
        body = p.createMultiBody(0, shape, basePosition=centre)
        p.changeVisualShape(body, -1, rgbaColor=[0.75, 0.8, 0.85, 1.0])
        return body

    def _load_stairs(self, xs: np.ndarray, ys: np.ndarray, profile: np.ndarray) -> int:
        """Stairs as one compound of boxes (steps with sharp edges; box contacts are much cheaper than a
        heightfield's triangles): a 0.1 m thick floor slab, plus one box per run of equal height along x."""
        from envs.terrain import stair_boxes

        p = self._p
        extents, positions = stair_boxes(xs, ys, profile)
        shape = p.createCollisionShapeArray(shapeTypes=[pybullet.GEOM_BOX] * len(extents), halfExtents=extents,
                                            collisionFramePositions=positions)
        # (createVisualShapeArray's rgbaColors argument crashes pybullet 3.2.7; colour the body afterwards.)
        visual = p.createVisualShapeArray(shapeTypes=[pybullet.GEOM_BOX] * len(extents), halfExtents=extents,
                                          visualFramePositions=positions)
        body = p.createMultiBody(0, shape, visual, basePosition=[0, 0, 0])
        p.changeVisualShape(body, -1, rgbaColor=[0.75, 0.8, 0.85, 1.0])
        return body

    @property
    def client(self) -> BulletClient:
        """The underlying PyBullet client (for rendering, terrain, debugging)."""
        return self._p

    # ------------------------------------------------------------------ reset / step
    def reset(self, base_position: np.ndarray, base_quaternion: np.ndarray, joint_angles: np.ndarray,
              joint_velocities: np.ndarray | None = None, base_lin_vel: np.ndarray | None = None,
              base_ang_vel: np.ndarray | None = None) -> RobotState:
        """Place the robot (world frame; controller joint angles) and return its state."""
        p = self._p
        p.restoreState(self._initial_state_id)
        p.resetBasePositionAndOrientation(self.robot_id, list(map(float, base_position)),
                                          list(map(float, base_quaternion)))
        p.resetBaseVelocity(self.robot_id, list(map(float, base_lin_vel if base_lin_vel is not None else (0, 0, 0))),
                            list(map(float, base_ang_vel if base_ang_vel is not None else (0, 0, 0))))
        q_urdf = self.robot.controller_to_urdf(joint_angles)
        qd = np.zeros(self.robot.num_joints) if joint_velocities is None else np.asarray(joint_velocities)
        qd_urdf = qd * self._directions
        for j, angle, vel in zip(self.joint_ids, q_urdf, qd_urdf, strict=True):
            p.resetJointState(self.robot_id, j, float(angle), float(vel))
        # Contact points are those of the last stepSimulation until collision detection runs again: without this,
        # the state read at reset reports the previous episode's foot contacts (a reused env then starts its
        # model-based controllers differently from a fresh one).
        p.performCollisionDetection()
        self.time_s = 0.0
        self._last_torques = np.zeros(self.robot.num_joints)
        self._pending_force = None
        return self.state()

    def show_state(self, state: RobotState) -> None:
        """Put the robot in ``state``'s base pose and joint angles, without stepping (to draw another engine's
        state)."""
        p = self._p
        p.resetBasePositionAndOrientation(self.robot_id, state.base_position_world.tolist(),
                                          state.base_quaternion_world.tolist())
        # One call for all joints: in a GUI client each call waits for the window's frame (4-5 ms under Xvfb).
        angles = self.robot.controller_to_urdf(state.joint_angles)
        p.resetJointStatesMultiDof(self.robot_id, list(self.joint_ids), [[float(a)] for a in angles])

    def set_payload(self, mass_kg: float, offset_body_m: np.ndarray) -> None:
        """Set the payload's mass (kg) and its position on the base (body frame, m); needs ``payload_body``."""
        if self.payload_id is None:
            raise RuntimeError("this simulation was built without payload_body=True")
        p = self._p
        p.changeDynamics(self.payload_id, -1, mass=max(float(mass_kg), 1e-3))
        self._payload_offset = np.asarray(offset_body_m, dtype=float)
        p.changeConstraint(self._payload_constraint, jointChildPivot=(-self._payload_offset).tolist(), maxForce=1e5)
        pos, quat = p.getBasePositionAndOrientation(self.robot_id)
        rot = np.array(p.getMatrixFromQuaternion(quat)).reshape(3, 3)
        p.resetBasePositionAndOrientation(self.payload_id, (np.array(pos) + rot @ self._payload_offset).tolist(),
                                          quat)
        p.resetBaseVelocity(self.payload_id, *p.getBaseVelocity(self.robot_id))

    @property
    def payload_mass_kg(self) -> float:
        return 0.0 if self.payload_id is None else float(self._p.getDynamicsInfo(self.payload_id, -1)[0])

    def set_motor_scales(self, strength: float = 1.0, kp_scale: float = 1.0, kd_scale: float = 1.0) -> None:
        """Scale torque limits and PD gains relative to the robot description (domain randomization)."""
        self._tau_max = np.array(self.robot.torque_limits) * strength
        self._kp = np.array(self.robot.kp) * kp_scale
        self._kd = np.array(self.robot.kd) * kd_scale
        self._motor_param_cache = None

    def set_ground_friction(self, friction: float) -> None:
        self._p.changeDynamics(self.ground_id, -1, lateralFriction=float(friction))

    def push_base(self, impulse_world_ns: np.ndarray) -> None:
        """Apply an impulse (N·s, world frame) to the base's centre of mass during the next physics step."""
        self._pending_force = (np.asarray(impulse_world_ns, dtype=float) / self.dt_s).tolist()

    def joint_state(self) -> tuple[np.ndarray, np.ndarray]:
        """Controller joint angles (rad) and velocities (rad/s), each (12,)."""
        states = pybullet.getJointStates(self.robot_id, self.joint_ids, physicsClientId=self._cid)
        q_qd = np.array([s[:2] for s in states])
        return (q_qd[:, 0] - self._offsets) * self._directions, q_qd[:, 1] * self._directions

    def clip_targets(self, targets: np.ndarray) -> np.ndarray:
        return np.minimum(np.maximum(targets, self._lower), self._upper)

    def step_position(self, joint_targets: np.ndarray, substeps: int) -> None:
        """Run ``substeps`` physics steps of the PD law towards ``joint_targets`` (controller angles, rad)."""
        targets = self.clip_targets(np.asarray(joint_targets, dtype=float))
        self._run_motors((self._kp * targets).tolist(), True, substeps)

    def step_torque(self, torques: np.ndarray, substeps: int) -> None:
        """Run ``substeps`` physics steps applying ``torques`` (controller frame, N·m), clipped to the limits."""
        self._run_motors(np.asarray(torques, dtype=float).tolist(), False, substeps)

    def _run_motors(self, commands: list[float], pd: bool, substeps: int) -> None:
        """The motor model (module docstring) for ``substeps`` physics steps: per joint, ``commands`` is kp·q* (PD law,
        ``pd``) or a constant torque τ (N·m), both in controller coordinates.

        This is the env's innermost loop (one pass per physics step), so it works on Python floats: for 12 joints,
        scalar arithmetic costs less than NumPy's per-call overhead. It performs the same IEEE operations in the same
        order as the array form in the module docstring, so the results are bit for bit those of that form
        (``tests/envs/test_motor_model.py`` checks it against a NumPy reference).
        """
        get_states, set_motors, step = (pybullet.getJointStates, pybullet.setJointMotorControlArray,
                                        pybullet.stepSimulation)
        rid, ids, cid, mode = self.robot_id, self.joint_ids, self._cid, pybullet.TORQUE_CONTROL
        joints = tuple(zip(commands, self._motor_params(), strict=True))
        taus: list[float] = []
        for _ in range(substeps):
            taus, forces = [], []
            for state, (command, (kp, kd, tau_max, qd_max, direction, offset)) in zip(
                    get_states(rid, ids, physicsClientId=cid), joints, strict=True):
                qd = state[1] * direction
                if pd:
                    tau = command - kp * ((state[0] - offset) * direction) - kd * qd
                else:
                    tau = command
                if tau > tau_max:
                    tau = tau_max
                elif tau < -tau_max:
                    tau = -tau_max
                # Beyond its speed limit a motor cannot push further in the direction it is already moving.
                if tau * qd > 0 and (qd > qd_max or qd < -qd_max):
                    tau = 0.0
                taus.append(tau)
                forces.append(tau * direction)
            set_motors(rid, ids, mode, forces=forces, physicsClientId=cid)
            if self._pending_force is not None:
                pos = pybullet.getBasePositionAndOrientation(rid, physicsClientId=cid)[0]
                pybullet.applyExternalForce(rid, -1, self._pending_force, pos, pybullet.WORLD_FRAME,
                                            physicsClientId=cid)
                self._pending_force = None
            step(physicsClientId=cid)
            self.time_s += self.dt_s
        if substeps > 0:
            self._last_torques = np.array(taus)

    def _motor_params(self) -> tuple[tuple[float, ...], ...]:
        """Per joint (kp, kd, τ_max, q̇_max, direction, offset) as Python floats, rebuilt when the gains change."""
        if self._motor_param_cache is None:
            self._motor_param_cache = tuple(zip(*(a.tolist() for a in (
                self._kp, self._kd, self._tau_max, self._qd_max, self._directions, self._offsets)), strict=True))
        return self._motor_param_cache

    # ------------------------------------------------------------------ state
    def state(self) -> RobotState:
        """Read the robot's state (fresh arrays)."""
        # Runs once per control step: the pybullet module directly, and its tuples handed back to it unconverted.
        p, cid, rid = pybullet, self._cid, self.robot_id
        pos, quat = p.getBasePositionAndOrientation(rid, physicsClientId=cid)
        lin_w, ang_w = p.getBaseVelocity(rid, physicsClientId=cid)
        lin_w, ang_w = np.array(lin_w), np.array(ang_w)
        rot_t = np.array(p.getMatrixFromQuaternion(quat, physicsClientId=cid)).reshape(3, 3).T  # world -> body
        q, qd = self.joint_state()
        contacts = [False] * 4
        forces = [0.0] * 4
        body_contact = False
        for c in p.getContactPoints(bodyA=rid, bodyB=self.ground_id, physicsClientId=cid):
            link = c[3]
            leg = self._foot_index.get(link)
            if leg is not None:
                contacts[leg] = True
                forces[leg] += c[9]
            elif link in self._body_contact_ids:
                body_contact = True
        feet = np.array([s[4] for s in p.getLinkStates(rid, self.foot_link_ids, physicsClientId=cid)])
        return RobotState(
            time_s=self.time_s,
            base_position_world=np.array(pos),
            base_quaternion_world=np.array(quat),
            base_rpy=np.array(p.getEulerFromQuaternion(quat, physicsClientId=cid)),
            projected_gravity_body=matvec3(rot_t, _DOWN),
            base_lin_vel_world=lin_w,
            base_lin_vel_body=matvec3(rot_t, lin_w),
            base_ang_vel_world=ang_w,
            base_ang_vel_body=matvec3(rot_t, ang_w),
            joint_angles=q,
            joint_velocities=qd,
            joint_torques=self._last_torques.copy(),
            foot_contacts=np.array(contacts),
            foot_normal_forces=np.array(forces),
            foot_positions_world=feet,
            body_ground_contact=body_contact,
        )

    # ------------------------------------------------------------------ teardown
    def close(self) -> None:
        """Disconnect the client (idempotent)."""
        if not self._closed:
            self._closed = True
            try:
                self._p.disconnect()
            except pybullet.error:
                pass

    def __del__(self) -> None:  # a dropped env must not leak its physics server
        try:
            self.close()
        except Exception:
            pass
