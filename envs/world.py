"""The world around the robot: terrain (and its curriculum), domain randomization, pushes, payload, action latency,
observation noise and the height scan.

A :class:`World` is built from :class:`~envs.config.EnvSettings` and acts on the simulation and the env's seeded
generator it is handed; it holds no reference to the env. The env calls it at reset, before each step
(:meth:`World.push`, :meth:`World.delay`) and when observing.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from envs import randomization
from envs.config import EnvSettings
from envs.engine import Engine
from envs.state import RobotState
from envs.tasks.common import Feature
from envs.terrain import TerrainSpec, height_at

#: Height-scan sample points in the yaw-aligned body frame: 9 along x (-0.4..0.8 m) × 5 along y (-0.3..0.3 m).
SCAN_X_M = np.linspace(-0.4, 0.8, 9)
SCAN_Y_M = np.linspace(-0.3, 0.3, 5)
SCAN_POINTS = len(SCAN_X_M) * len(SCAN_Y_M)
#: Height-scan values are (base height − nominal height − terrain height) / SCAN_RANGE_M, clipped to [-1, 1].
SCAN_RANGE_M = 0.5


class World:
    def __init__(self, settings: EnvSettings) -> None:
        self.settings = settings
        #: The terrain the simulation should hold (the curriculum changes it between episodes).
        self.terrain = settings.terrain
        self.curriculum = None
        if settings.terrain_curriculum:
            spec = TerrainSpec.parse(settings.terrain)
            self.curriculum = randomization.TerrainCurriculum(level=spec.level)
            self._kind = spec.kind if spec.kind != "flat" else "rough"
        self.sample: randomization.RandomizationSample | None = None
        self._pending: deque[np.ndarray] = deque()
        self._next_push_s = np.inf

    # ---------------------------------------------------------------- episodes
    def end_episode(self, travelled_m: float, commanded_m: float) -> None:
        """Score the episode that just ended (terrain curriculum); may change :attr:`terrain`."""
        if self.curriculum is not None:
            level = self.curriculum.update(travelled_m, commanded_m)
            self.terrain = f"{self._kind}:{level}"

    def reset(self, sim: Engine, rng: np.random.Generator) -> None:
        """Draw this episode's randomization (before the robot is placed)."""
        if self.settings.domain_randomization:
            s = randomization.sample(rng)
            self.sample = s
            sim.set_ground_friction(s.friction)
            sim.set_motor_scales(s.motor_strength, s.kp_scale, s.kd_scale)
        self._pending.clear()
        self._next_push_s = self.settings.push_interval_s if self.settings.push_impulse_ns > 0 else np.inf

    def after_placement(self, sim: Engine) -> None:
        """Called once the robot is placed (the payload follows the base)."""
        if self.sample is not None:
            sim.set_payload(self.sample.payload_kg, np.array([*self.sample.com_shift_m, 0.0]))

    # ---------------------------------------------------------------- steps
    def push(self, sim: Engine, rng: np.random.Generator) -> np.ndarray | None:
        """Push the base if a push is due (direction from ``rng``); returns the impulse (N·s, world) or None."""
        if sim.time_s + 1e-9 < self._next_push_s:
            return None
        angle = rng.uniform(0.0, 2 * np.pi)
        impulse = self.settings.push_impulse_ns * np.array([np.cos(angle), np.sin(angle), 0.0])
        sim.push_base(impulse)
        self._next_push_s += self.settings.push_interval_s
        return impulse

    def delay(self, action: np.ndarray) -> np.ndarray:
        """The action that reaches the motors now (``latency_steps`` control steps old; zeros at first)."""
        latency = 0 if self.sample is None else self.sample.latency_steps
        if latency == 0:
            return action
        self._pending.append(action)
        if len(self._pending) > latency:
            return self._pending.popleft()
        return np.zeros_like(action)

    def noisy(self, obs: np.ndarray, rng: np.random.Generator, layout) -> np.ndarray:
        """``obs`` with this episode's observation noise (velocities ×10); unchanged without randomization."""
        if self.sample is None or self.sample.observation_noise == 0:
            return obs
        scale = np.ones_like(obs)
        for name in ("base_ang_vel_body", "base_lin_vel_body", "joint_velocities"):
            scale[layout[name]] = 10.0
        return (obs + rng.normal(0.0, self.sample.observation_noise, obs.shape) * scale).astype(obs.dtype)

    # ---------------------------------------------------------------- observation
    def observation_features(self) -> tuple[Feature, ...]:
        return (("height_scan", SCAN_POINTS, 1.0),) if self.settings.height_scan else ()

    def features(self, sim: Engine, state: RobotState) -> np.ndarray | None:
        """Terrain height samples around ``state``'s base (see SCAN_*), or None without ``height_scan``."""
        if not self.settings.height_scan:
            return None
        heights = sim.terrain_heights
        yaw = state.yaw_rad
        gx, gy = np.meshgrid(SCAN_X_M, SCAN_Y_M, indexing="ij")
        wx = state.base_position_world[0] + np.cos(yaw) * gx - np.sin(yaw) * gy
        wy = state.base_position_world[1] + np.sin(yaw) * gx + np.cos(yaw) * gy
        ground = np.zeros(gx.shape) if heights is None else height_at(heights, wx, wy)
        nominal = sim.robot.spawn_height_m
        return np.clip((state.base_height_m - nominal - ground) / SCAN_RANGE_M, -1.0, 1.0).reshape(-1)

    def privileged(self, sim: Engine) -> dict[str, Any]:
        """This episode's hidden world parameters (the friction actually in effect, payload, terrain, draw)."""
        friction = self.settings.ground_friction if self.sample is None else self.sample.friction
        info = {"ground_friction": friction, "terrain": sim.terrain.name, "payload_kg": sim.payload_mass_kg}
        if self.sample is not None:
            info["randomization"] = self.sample.to_dict()
        return info
