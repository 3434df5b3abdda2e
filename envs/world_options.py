"""Per-episode world options of the walking envs: domain randomization, action latency, observation noise,
height scan and terrain curriculum. The env owns one :class:`WorldOptions` and calls it at reset, step and observe.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from envs import randomization
from envs.terrain import TerrainSpec, height_at

#: Height-scan sample points in the yaw-aligned body frame: 9 along x (-0.4..0.8 m) × 5 along y (-0.3..0.3 m).
SCAN_X_M = np.linspace(-0.4, 0.8, 9)
SCAN_Y_M = np.linspace(-0.3, 0.3, 5)
SCAN_POINTS = len(SCAN_X_M) * len(SCAN_Y_M)
#: Height-scan values are (base height − nominal height − terrain height) / SCAN_RANGE_M, clipped to [-1, 1].
SCAN_RANGE_M = 0.5


class WorldOptions:
    def __init__(self, env) -> None:
        self.env = env
        self.sample: randomization.RandomizationSample | None = None
        self._pending: deque[np.ndarray] = deque()
        self.curriculum = None
        spec = TerrainSpec.parse(env.settings.terrain)
        if env.settings.terrain_curriculum:
            self.curriculum = randomization.TerrainCurriculum(level=spec.level)
            self._kind = spec.kind if spec.kind != "flat" else "rough"
        self._episode_start_xy = np.zeros(2)
        self._episode_steps = 0

    # ---------------------------------------------------------------- reset
    def on_reset(self, rng: np.random.Generator) -> None:
        env = self.env
        if self.curriculum is not None and self._episode_steps > 0:
            travelled = float(np.linalg.norm(env.robot_state.base_position_world[:2] - self._episode_start_xy))
            expected = abs(env.settings.target_speed_mps) * self._episode_steps * env.control_dt_s
            level = self.curriculum.update(travelled, expected)
            env._rebuild_simulation(f"{self._kind}:{level}")
        self._episode_steps = 0
        if env.settings.domain_randomization:
            s = randomization.sample(rng)
            self.sample = s
            env.sim.set_ground_friction(s.friction)
            env.sim.set_motor_scales(s.motor_strength, s.kp_scale, s.kd_scale)
        self._pending.clear()

    def after_reset(self) -> None:
        """Called once the robot is placed (the payload follows the base)."""
        if self.sample is not None:
            self.env.sim.set_payload(self.sample.payload_kg, np.array([*self.sample.com_shift_m, 0.0]))
        self._episode_start_xy = self.env.robot_state.base_position_world[:2].copy()

    # ---------------------------------------------------------------- step
    def delay(self, action: np.ndarray) -> np.ndarray:
        """The action that reaches the motors now (``latency_steps`` control steps old; zeros at first)."""
        self._episode_steps += 1
        latency = 0 if self.sample is None else self.sample.latency_steps
        if latency == 0:
            return action
        self._pending.append(action)
        if len(self._pending) > latency:
            return self._pending.popleft()
        return np.zeros_like(action)

    def noisy(self, obs: np.ndarray, rng: np.random.Generator, layout) -> np.ndarray:
        if self.sample is None or self.sample.observation_noise == 0:
            return obs
        scale = np.ones_like(obs)
        for name in ("base_ang_vel_body", "base_lin_vel_body", "joint_velocities"):
            scale[layout[name]] = 10.0
        return (obs + rng.normal(0.0, self.sample.observation_noise, obs.shape) * scale).astype(obs.dtype)

    # ---------------------------------------------------------------- observation extras
    def height_scan(self, state) -> np.ndarray:
        """Terrain height samples around ``state``'s base (see SCAN_*), shape (SCAN_POINTS,)."""
        env = self.env
        heights = env.sim.terrain_heights
        yaw = state.yaw_rad
        gx, gy = np.meshgrid(SCAN_X_M, SCAN_Y_M, indexing="ij")
        wx = state.base_position_world[0] + np.cos(yaw) * gx - np.sin(yaw) * gy
        wy = state.base_position_world[1] + np.sin(yaw) * gx + np.cos(yaw) * gy
        ground = np.zeros(gx.shape) if heights is None else height_at(heights, wx, wy)
        nominal = env.robot.spawn_height_m
        return np.clip((state.base_height_m - nominal - ground) / SCAN_RANGE_M, -1.0, 1.0).reshape(-1)

    def privileged(self) -> dict:
        """This episode's hidden world parameters (the friction actually in effect, payload, terrain, draw)."""
        env = self.env
        friction = env.settings.ground_friction if self.sample is None else self.sample.friction
        info = {"ground_friction": friction, "terrain": env.sim.terrain.name, "payload_kg": env.sim.payload_mass_kg}
        if self.sample is not None:
            info["randomization"] = self.sample.to_dict()
        return info
