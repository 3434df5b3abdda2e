"""``quadgait/LaikagoWalk-v0``: walk forward along +x at a target speed, upright and heading straight.

The env wires a robot description, a :class:`~envs.sim.Simulation` and the walk task together; it is the only
module that imports all of them. Override points for new tasks: :meth:`_observe`, :meth:`_reward`,
:meth:`_failure`, :meth:`_initial_pose`.
"""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import numpy as np

from envs._pybullet import pybullet
from envs.config import WalkSettings
from envs.robots import JOINT_LABELS, get_robot
from envs.sim import PhysicsSettings, Simulation
from envs.state import RobotState
from envs.tasks import walk
from envs.world_options import SCAN_POINTS, WorldOptions


class LaikagoWalkEnv(gym.Env):
    """Gymnasium env: a quadruped asked to walk forward.

    Action: ``Box(-1, 1, (12,), float32)``. In ``"pd"`` motor mode joint targets are
    ``standing_pose + action_scale * action`` (controller angles, rad), clipped to the joint limits; in
    ``"torque"`` mode joint torques are ``action * torque_limits``. Values outside [-1, 1] are clipped. NaN/inf,
    a wrong shape or a non-numeric dtype raise ``ValueError``.

    Observation: float32 vector described by :attr:`observation_layout` (names → slices): projected gravity (3),
    base angular velocity in the body frame (3, rad/s), base linear velocity in the body frame (3, m/s), joint
    angles relative to the standing pose (12, rad), joint velocities (12, rad/s), last action (12), target speed
    (1, m/s). Values are clipped to finite bounds and are never NaN.

    Info: ``reward_terms`` (weighted terms; they sum to the reward), ``failure`` (None, ``"tipped"``,
    ``"body_contact"`` or ``"physics"``), ``time_s``, ``base_position`` (m, world).
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 50}
    #: Reward terms of this task and their default weights (subclasses with other tasks replace it).
    DEFAULT_REWARD_WEIGHTS = walk.DEFAULT_REWARD_WEIGHTS

    def __init__(self, render_mode: str | None = None, **settings: Any) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"unknown render_mode {render_mode!r}; valid: None, "
                             f"{', '.join(self.metadata['render_modes'])}")
        self.settings = WalkSettings.from_kwargs(**settings)
        self.render_mode = render_mode
        self.metadata = {**self.metadata, "render_fps": int(round(self.settings.control_hz))}
        self.reward_weights = walk.resolve_reward_weights(self.settings.reward_weights, self.DEFAULT_REWARD_WEIGHTS)
        self.robot = get_robot(self.settings.robot)
        self.sim = self._build_simulation(self.settings.terrain)
        self.world = WorldOptions(self)
        n = self.robot.num_joints
        self.action_layout = self._action_labels()
        action_dim = len(self.action_layout)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (action_dim,), np.float32)
        extras = self._observation_extras()
        if self.settings.height_scan:
            extras = (*extras, ("height_scan", SCAN_POINTS))
        self.observation_layout = walk.observation_layout(n, action_dim, extras)
        low, high = walk.observation_bounds(n, np.array(self.robot.velocity_limits), action_dim, extras)
        self._obs_low, self._obs_high = low, high
        self.observation_space = gym.spaces.Box(low.astype(np.float32), high.astype(np.float32), dtype=np.float32)
        self._standing = self.robot.standing_angles
        self._last_action = np.zeros(action_dim)
        self._last_obs = np.zeros(self.observation_space.shape, np.float32)
        self._state: RobotState | None = None
        self._steps = 0
        self._wall_clock = 0.0

    # ------------------------------------------------------------------ gym API
    #: ``reset(options=...)`` keys this env understands; any other key is an error.
    RESET_OPTIONS: tuple[str, ...] = ()

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        unknown = sorted(set(options or {}) - set(self.RESET_OPTIONS))
        if unknown:
            valid = ", ".join(self.RESET_OPTIONS) or "none"
            raise ValueError(f"unknown reset option(s) {', '.join(map(repr, unknown))}; valid options: {valid}")
        super().reset(seed=seed)
        self.world.on_reset(self.np_random)
        position, quaternion, joints, lin_vel = self._initial_pose()
        self._state = self.sim.reset(position, quaternion, joints, base_lin_vel=lin_vel)
        self.world.after_reset()
        # Constant during an episode, so built once here rather than in every step's info.
        self._privileged = {"total_mass_kg": self.sim.total_mass_kg,
                            "added_base_mass_kg": self.settings.added_base_mass_kg, **self.world.privileged()}
        self._last_action = np.zeros(self.action_space.shape[0])
        self._reset_action_state()
        self._steps = 0
        self._next_push_s = self.settings.push_interval_s
        self._last_push: np.ndarray | None = None
        self._last_obs = self._observe(self._state)
        self._wall_clock = time.perf_counter()
        if self.render_mode == "human":
            self._follow_camera_gui()
        return self._last_obs.copy(), self._info(None, {})

    def step(self, action):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        a = self._validate_action(action)
        self._maybe_push()
        self._apply_action(self.world.delay(a))
        self._steps += 1
        state = self.sim.state()
        failure = self._failure(state)
        if failure == "physics":
            # Keep the last finite observation; no reward is earned from a blown-up state.
            terms = {name: 0.0 for name in self.reward_weights}
        else:
            terms = self._reward(state, a)
            self._last_obs = self._observe(state, a)
            self._state = state
        self._last_action = a
        reward = float(sum(terms.values()))
        terminated = failure is not None
        truncated = not terminated and self._steps >= self.settings.max_episode_steps
        if self.render_mode == "human":
            self._follow_camera_gui()
            self._sleep_to_real_time()
        return self._last_obs.copy(), reward, terminated, truncated, self._info(failure, terms)

    def render(self):
        if self.render_mode == "rgb_array":
            return self._render_rgb()
        return None

    def close(self) -> None:
        if getattr(self, "sim", None) is not None:
            self.sim.close()

    # ------------------------------------------------------------------ override points
    def _action_labels(self) -> tuple[str, ...]:
        """Names of the action entries (their count is the action size)."""
        return JOINT_LABELS

    def _observation_extras(self) -> tuple[tuple[str, int], ...]:
        """(name, size) of features appended to the observation, each in [-1, 1]."""
        return ()

    def _extra_features(self) -> np.ndarray | None:
        return None

    def _reset_action_state(self) -> None:
        """Reset whatever the action mapping keeps between steps (e.g. a gait phase)."""

    def _apply_action(self, a: np.ndarray) -> None:
        """Turn a validated action into motor commands and advance the simulation one control step."""
        if self.settings.motor_control == "pd":
            self.sim.step_position(self._standing + self.settings.action_scale * a, self.settings.substeps)
        else:
            self.sim.step_torque(a * self.robot.torque_limit_array, self.settings.substeps)

    def _initial_pose(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Base position (m), quaternion, joint angles (rad) and base velocity (m/s) at reset, from np_random."""
        noise = self.settings.init_joint_noise_rad
        joints = self._standing + self.np_random.uniform(-noise, noise, self.robot.num_joints)
        vel_noise = self.settings.init_base_velocity_noise_mps
        lin_vel = self.np_random.uniform(-vel_noise, vel_noise, 3) if vel_noise > 0 else np.zeros(3)
        return np.array([0.0, 0.0, self.robot.spawn_height_m]), np.array([0.0, 0.0, 0.0, 1.0]), joints, lin_vel

    def _observe(self, state: RobotState, action: np.ndarray | None = None) -> np.ndarray:
        last = self._last_action if action is None else action
        features = self._extra_features()
        if self.settings.height_scan:
            scan = self.world.height_scan(state)
            features = scan if features is None else np.concatenate([features, scan])
        obs = walk.build_observation(state, self._standing, last, self._observed_target_speed(), self._obs_low,
                                     self._obs_high, features)
        if self.world.sample is not None and self.world.sample.observation_noise > 0:
            obs = np.clip(self.world.noisy(obs, self.np_random, self.observation_layout), self._obs_low,
                          self._obs_high).astype(np.float32)
        return obs

    def _observed_target_speed(self) -> float:
        """The forward speed written into the observation's ``target_speed`` entry, m/s."""
        return self.settings.target_speed_mps

    def _reward(self, state: RobotState, action: np.ndarray) -> dict[str, float]:
        terms = walk.reward_terms(state, action, self._last_action, self.settings.target_speed_mps,
                                  self.settings.tracking_sigma_mps)
        return walk.weighted_terms(terms, self.reward_weights)

    def _failure(self, state: RobotState) -> str | None:
        return walk.failure_reason(state)

    def _maybe_push(self) -> None:
        self._last_push = None
        if self.settings.push_impulse_ns > 0 and self.sim.time_s + 1e-9 >= self._next_push_s:
            angle = self.np_random.uniform(0.0, 2 * np.pi)
            impulse = self.settings.push_impulse_ns * np.array([np.cos(angle), np.sin(angle), 0.0])
            self.sim.push_base(impulse)
            self._last_push = impulse
            self._next_push_s += self.settings.push_interval_s

    def _build_simulation(self, terrain: str) -> Simulation:
        return Simulation(self.robot, PhysicsSettings(
            physics_hz=self.settings.physics_hz, solver_iterations=self.settings.solver_iterations,
            ground_friction=self.settings.ground_friction, self_collision=self.settings.self_collision,
            added_base_mass_kg=self.settings.added_base_mass_kg, terrain=terrain,
            terrain_seed=self.settings.terrain_seed, payload_body=self.settings.domain_randomization,
            gui=self.render_mode == "human"))

    def _rebuild_simulation(self, terrain: str) -> None:
        """Swap the world for one with another terrain (terrain curriculum); a no-op if it is unchanged."""
        if terrain == self.sim.terrain.name:
            return
        self.sim.close()
        self.sim = self._build_simulation(terrain)

    # ------------------------------------------------------------------ helpers
    @property
    def robot_state(self) -> RobotState:
        """The latest robot state (read after the last reset/step)."""
        if self._state is None:
            raise RuntimeError("call reset() first")
        return self._state

    @property
    def control_dt_s(self) -> float:
        return 1.0 / self.settings.control_hz

    def _validate_action(self, action: Any) -> np.ndarray:
        arr = np.asarray(action)
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"action must be numeric; got dtype {arr.dtype} (expected float32 of shape "
                             f"{self.action_space.shape})")
        if arr.shape != self.action_space.shape:
            raise ValueError(f"action must have shape {self.action_space.shape}, got {arr.shape}")
        arr = arr.astype(np.float64)
        if not np.all(np.isfinite(arr)):
            bad = [self.action_layout[i] for i in np.flatnonzero(~np.isfinite(arr))]
            raise ValueError(f"action contains NaN or inf at {', '.join(bad)}")
        return np.clip(arr, -1.0, 1.0)

    def _info(self, failure: str | None, terms: dict[str, float]) -> dict[str, Any]:
        state = self._state
        return {
            "reward_terms": dict(terms),
            "failure": failure,
            "time_s": self.sim.time_s,
            "base_position": state.base_position_world.copy() if state is not None else np.zeros(3),
            "push_impulse_ns": None if getattr(self, "_last_push", None) is None else self._last_push.copy(),
            # Quantities a policy cannot observe directly, for teacher-student training and analysis.
            "privileged": {k: dict(v) if isinstance(v, dict) else v for k, v in self._privileged.items()},
        }

    def _camera_target(self) -> list[float]:
        pos = self._state.base_position_world if self._state is not None else np.zeros(3)
        return [float(pos[0]), float(pos[1]), 0.3]

    def _render_rgb(self) -> np.ndarray:
        p = self.sim.client
        w, h = self.settings.render_width, self.settings.render_height
        view = p.computeViewMatrixFromYawPitchRoll(self._camera_target(), 1.6, 30.0, -20.0, 0.0, 2)
        proj = p.computeProjectionMatrixFOV(60.0, w / h, 0.05, 20.0)
        _, _, rgba, _, _ = p.getCameraImage(w, h, view, proj, renderer=pybullet.ER_TINY_RENDERER)
        return np.asarray(rgba, dtype=np.uint8).reshape(h, w, 4)[:, :, :3].copy()

    def _follow_camera_gui(self) -> None:
        self.sim.client.resetDebugVisualizerCamera(1.6, 30.0, -20.0, self._camera_target())

    def _sleep_to_real_time(self) -> None:
        target = self._wall_clock + self.control_dt_s
        now = time.perf_counter()
        if target > now:
            time.sleep(target - now)
        self._wall_clock = max(target, now)
