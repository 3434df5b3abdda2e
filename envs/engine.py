"""What a physics engine offers the env: one small interface, two implementations.

The env's parts (task, action map, world) talk to the simulation only through the methods below, so they do not
care which engine steps the robot:

* ``"pybullet"`` — :class:`envs.sim.Simulation` (the default; every recorded number comes from it);
* ``"mujoco"`` — :class:`envs.mujoco_sim.MujocoSimulation`, a twin of the same robot built from the same URDF and
  description, with the same motor model at the same rates (needs the optional extra: ``pip install
  quadgait[mujoco]``). ``docs/sim-to-sim.md`` says what it models and how far apart the engines land.

Joint quantities at this interface are controller angles (rad), velocities (rad/s) and torques (N·m), legs FR, FL,
RR, RL (see :mod:`envs.robots.description`); positions and forces are in the z-up world frame.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from envs.config import ENGINES, check_engine  # noqa: F401  (ENGINES re-exported: the names live with the settings)
from envs.robots.description import RobotDescription
from envs.state import RobotState
from envs.terrain import TerrainSpec


@runtime_checkable
class Engine(Protocol):
    """One robot on the ground, stepped under the motor model (PD law or torques, limits, speed limit)."""

    robot: RobotDescription
    #: Physics step, s.
    dt_s: float
    #: Simulated time since the last reset, s.
    time_s: float
    #: Total mass of the robot (all links), kg.
    total_mass_kg: float
    #: The ground (``TerrainSpec.kind == "flat"`` for the plane).
    terrain: TerrainSpec
    #: Terrain heights on the terrain grid (m), or None for flat ground.
    terrain_heights: np.ndarray | None

    def reset(self, base_position: np.ndarray, base_quaternion: np.ndarray, joint_angles: np.ndarray,
              joint_velocities: np.ndarray | None = None, base_lin_vel: np.ndarray | None = None,
              base_ang_vel: np.ndarray | None = None) -> RobotState:
        """Place the robot (world frame, quaternion x, y, z, w; controller joint angles) and return its state."""

    def state(self) -> RobotState:
        """The robot's state now (fresh arrays)."""

    def step_position(self, joint_targets: np.ndarray, substeps: int) -> None:
        """``substeps`` physics steps of the PD law towards ``joint_targets`` (controller angles, rad)."""

    def step_torque(self, torques: np.ndarray, substeps: int) -> None:
        """``substeps`` physics steps applying ``torques`` (controller frame, N·m), clipped to the limits."""

    def set_motor_scales(self, strength: float = 1.0, kp_scale: float = 1.0, kd_scale: float = 1.0) -> None:
        """Scale torque limits and PD gains relative to the description (domain randomization)."""

    def set_ground_friction(self, friction: float) -> None:
        """Set the effective foot-ground friction coefficient."""

    def push_base(self, impulse_world_ns: np.ndarray) -> None:
        """Apply an impulse (N·s, world frame) at the base's centre of mass during the next physics step."""

    def set_payload(self, mass_kg: float, offset_body_m: np.ndarray) -> None:
        """Set the payload's mass (kg) and its position on the base (body frame, m)."""

    @property
    def payload_mass_kg(self) -> float:
        """The payload's mass now, kg (0 without a payload body)."""

    def close(self) -> None:
        """Release the engine's resources (idempotent)."""


def make_engine(name: str, robot: RobotDescription, settings) -> Engine:
    """The engine called ``name`` holding ``robot``, built from :class:`envs.sim.PhysicsSettings` ``settings``."""
    if check_engine(name) == "mujoco":
        from envs.mujoco_sim import MujocoSimulation

        return MujocoSimulation(robot, settings)
    from envs.sim import Simulation

    return Simulation(robot, settings)
