"""The one quadgait environment class, composed of parts: a *task*, an *action map* and a *world*.

* The **task** (:mod:`envs.tasks`) owns the command, its entries of the observation, the reward terms and the
  termination rules.
* The **action map** (:mod:`envs.actions`) says what an action means and advances the simulation one control step.
* The **world** (:mod:`envs.world`) holds terrain, randomization, pushes, latency, observation noise and the
  height scan.

Each registered id names its parts (:mod:`envs.registry`); every keyword argument of ``gymnasium.make`` belongs to
exactly one part's settings dataclass, and an unknown one is an error listing the valid ones. ``docs/extending.md``
shows how to add a task or an action space.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np

from envs._pybullet import pybullet
from envs.actions import ActionMap
from envs.config import EnvSettings, split_settings
from envs.engine import Engine, make_engine
from envs.numerics import norm
from envs.robots import get_robot
from envs.sim import PhysicsSettings, Simulation
from envs.state import RobotState
from envs.tasks.common import Task, layout_and_bounds, proprio_features, proprio_values
from envs.viewer import Viewer, display_available
from envs.world import World

#: "human" is offered only where a window can open, so Gymnasium's checker passes on headless machines.
RENDER_MODES = ("rgb_array", "human") if display_available() else ("rgb_array",)


class QuadrupedEnv(gym.Env):
    """A quadruped in PyBullet (or its MuJoCo twin, ``engine="mujoco"``), composed of a task, an action map and a
    world (see the module docstring).

    Observation (float32, clipped to finite bounds, never NaN), described by :attr:`observation_layout`: projected
    gravity (3), base angular velocity in the body frame (3, rad/s), base linear velocity in the body frame
    (3, m/s), joint angles relative to the standing pose (12, rad), joint velocities (12, rad/s), the last action,
    then the task's entries (e.g. the command), the action map's (e.g. gait phases) and the world's (height scan).

    Action: ``Box(-1, 1, (n,), float32)`` with :attr:`action_layout` naming the entries; values outside [-1, 1]
    are clipped; NaN/inf, a wrong shape or a non-numeric dtype raise ``ValueError``.

    Episodes end when the task says the robot failed (``terminated``) or after ``max_episode_steps`` control
    steps (``truncated``, by Gymnasium's ``TimeLimit``; 1000 steps = 20 s by default).

    Info: ``reward_terms`` (weighted; they sum to the reward), ``failure`` (None, ``"tipped"``,
    ``"body_contact"`` or ``"physics"``), ``time_s``, ``base_position`` (m, world), ``push_impulse_ns``,
    ``privileged`` (what a policy cannot observe) and the task's entries, ``command`` at least.
    """

    metadata = {"render_modes": list(RENDER_MODES), "render_fps": 50}

    def __init__(self, render_mode: str | None = None, *, task: str | type[Task] = "walk",
                 action: str | type[ActionMap] = "joint_targets",
                 **settings: Any) -> None:
        from envs.registry import lookup_action, lookup_task

        if render_mode is not None and render_mode not in ("rgb_array", "human"):
            raise ValueError(f"unknown render_mode {render_mode!r}; valid: None, rgb_array, human")
        if render_mode == "human" and not display_available():
            raise RuntimeError("the PyBullet GUI needs a display (DISPLAY is not set); use render_mode='rgb_array' "
                               "or run under xvfb-run")
        task_cls, action_cls = lookup_task(task), lookup_action(action)
        parts = split_settings(settings, {"env": EnvSettings, "task": task_cls.Settings,
                                          "action": action_cls.Settings})
        self.settings: EnvSettings = parts["env"]
        self.render_mode = render_mode
        self.metadata = {**self.metadata, "render_fps": int(round(self.settings.control_hz))}
        self.robot = get_robot(self.settings.robot)
        dt, substeps = self.settings.control_dt_s, self.settings.substeps
        self.task = task_cls(parts["task"], self.robot, dt)
        self.action_map = action_cls(parts["action"], self.robot, dt, substeps)
        self.world = World(self.settings)
        self.sim = self._build_simulation(self.world.terrain)
        self.action_layout = tuple(self.action_map.labels)
        action_dim = len(self.action_layout)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (action_dim,), np.float32)
        features = (*proprio_features(self.robot.num_joints, np.array(self.robot.velocity_limits), action_dim),
                    *self.task.observation_features(), *self.action_map.observation_features(),
                    *self.world.observation_features())
        self.observation_layout, self._obs_low, self._obs_high = layout_and_bounds(features)
        self.observation_space = gym.spaces.Box(self._obs_low.astype(np.float32), self._obs_high.astype(np.float32),
                                                dtype=np.float32)
        self._standing = self.robot.standing_angles
        self._last_action = np.zeros(action_dim)
        self._last_obs = np.zeros(self.observation_space.shape, np.float32)
        self._state: RobotState | None = None
        self._steps = 0
        self._commanded_m = 0.0
        self._start_xy = np.zeros(2)
        self._last_push: np.ndarray | None = None
        self._privileged: dict[str, Any] = {}
        self._viewer: Viewer | None = None
        self._mirror: Simulation | None = None
        self._wall_clock = 0.0
        self._closed = False

    # ------------------------------------------------------------------ gym API
    def reset(self, *, seed: int | None = None, options: Mapping[str, Any] | None = None):
        self._check_open()
        options = self._check_options(options)
        super().reset(seed=seed)
        if self._steps > 0 and self._state is not None:
            travelled = norm(self._state.base_position_world[:2] - self._start_xy)
            self.world.end_episode(travelled, self._commanded_m)
            if self.world.terrain != self.sim.terrain.name:
                self.sim.close()
                self.sim = self._build_simulation(self.world.terrain)
        self.world.reset(self.sim, self.np_random)
        position, quaternion, joints, lin_vel = self._initial_pose()
        self._state = self.sim.reset(position, quaternion, joints, base_lin_vel=lin_vel)
        self.world.after_placement(self.sim)
        self._start_xy = self._state.base_position_world[:2].copy()
        # Constant during an episode, so built once here rather than in every step's info.
        self._privileged = {"total_mass_kg": self.sim.total_mass_kg,
                            "added_base_mass_kg": self.settings.added_base_mass_kg, **self.world.privileged(self.sim)}
        self._last_action = np.zeros(len(self.action_layout))
        self.task.reset(self.np_random, options, self._state)
        self.action_map.reset()
        self._steps, self._commanded_m, self._last_push = 0, 0.0, None
        self._last_obs = self._observe(self._state, self._last_action)
        self._wall_clock = time.perf_counter()
        if self.render_mode == "human":
            self.render()
        return self._last_obs.copy(), self._info(None, {})

    def step(self, action):
        self._check_open()
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        a = self._validate_action(action)
        command = self.task.command
        planar = command[:2]
        self._commanded_m += norm(planar) * self.settings.control_dt_s
        self._last_push = self.world.push(self.sim, self.np_random)
        self.action_map.apply(self.sim, self.world.delay(a), self._state, command)
        self._steps += 1
        state = self.sim.state()
        failure = self.task.failure(state)
        if failure == "physics":
            # Keep the last finite observation; no reward is earned from a blown-up state.
            terms = {name: 0.0 for name in self.task.reward_weights}
        else:
            self.task.update(self.np_random, state)
            terms = self.task.rewards(state, a, self._last_action)
            self._last_obs = self._observe(state, a)
            self._state = state
        self._last_action = a
        reward = float(sum(terms.values()))
        terminated = failure is not None
        truncated = False  # the episode length is gymnasium's TimeLimit (max_episode_steps), so env.spec agrees
        if self.render_mode == "human":
            self.render()
            self._sleep_to_real_time()
        return self._last_obs.copy(), reward, terminated, truncated, self._info(failure, terms)

    def render(self):
        self._check_open()
        if self.render_mode == "rgb_array":
            return self._render_rgb()
        if self.render_mode == "human":
            if self._viewer is None:
                self._viewer = Viewer(self.robot, self._physics_settings(self.sim.terrain.name, visual=True))
            if self._state is not None:
                self._viewer.show(self.sim, self._state)
        return None

    def close(self) -> None:
        if getattr(self, "_closed", True):
            return
        self._closed = True
        self.sim.close()
        if self._mirror is not None:
            self._mirror.close()
        if self._viewer is not None:
            self._viewer.close()

    def __getstate__(self):
        raise TypeError("quadgait envs own a PyBullet client and cannot be pickled or copied; pickle the arguments "
                        "of gymnasium.make (or a function that makes the env) instead")

    # ------------------------------------------------------------------ the command and the state
    @property
    def command(self) -> np.ndarray:
        """The task's command in effect: (vx m/s, vy m/s, yaw rate rad/s), a fresh array."""
        return self.task.command.copy()

    def set_command(self, command: Any) -> None:
        """Drive live: the task holds ``command`` (vx m/s, vy m/s, yaw rate rad/s, heading frame) from the next
        step on. For a whole episode, reset with ``options={"command": ...}`` instead.

        Raises:
            ValueError: not 3 finite numbers, out of range, or a command the task cannot hold (the walk task
                refuses sideways and turning commands).
        """
        self.task.set_command(command)

    @property
    def viewer(self) -> Viewer | None:
        """The GUI window of ``render_mode="human"`` (None until the first render)."""
        return self._viewer

    def open_viewer(self) -> Viewer:
        """A new GUI window mirroring this env's robot and terrain, for a caller that paces its own rendering
        (``quadgait play --gui`` draws at most 25 frames per second and steps physics on the wall clock, where
        ``render_mode="human"`` draws every control step). The caller shows states in it and closes it."""
        self._check_open()
        return Viewer(self.robot, self._physics_settings(self.sim.terrain.name, visual=True))

    @property
    def reward_weights(self) -> Mapping[str, float]:
        return self.task.reward_weights

    @property
    def robot_state(self) -> RobotState:
        """The latest robot state (read after the last reset/step)."""
        if self._state is None:
            raise RuntimeError("call reset() first")
        return self._state

    @property
    def control_dt_s(self) -> float:
        return self.settings.control_dt_s

    # ------------------------------------------------------------------ internals
    def _initial_pose(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Base position (m), quaternion, joint angles (rad) and base velocity (m/s) at reset, from np_random."""
        noise = self.settings.init_joint_noise_rad
        joints = self._standing + self.np_random.uniform(-noise, noise, self.robot.num_joints)
        vel_noise = self.settings.init_base_velocity_noise_mps
        lin_vel = self.np_random.uniform(-vel_noise, vel_noise, 3) if vel_noise > 0 else np.zeros(3)
        return np.array([0.0, 0.0, self.robot.spawn_height_m]), np.array([0.0, 0.0, 0.0, 1.0]), joints, lin_vel

    def _observe(self, state: RobotState, last_action: np.ndarray) -> np.ndarray:
        parts = proprio_values(state, self._standing, last_action)
        for extra in (self.task.features(state), self.action_map.features(), self.world.features(self.sim, state)):
            if extra is not None:
                parts.append(extra)
        obs = np.concatenate(parts)
        if not np.isfinite(obs).all():  # (nan_to_num is slow, and finite observations are the rule)
            obs = np.nan_to_num(obs, nan=0.0, posinf=0.0, neginf=0.0)
        # np.clip's values for these nonzero bounds, without its Python-level dispatch
        obs = np.minimum(np.maximum(obs, self._obs_low), self._obs_high).astype(np.float32)
        if self.world.sample is not None and self.world.sample.observation_noise > 0:
            obs = np.clip(self.world.noisy(obs, self.np_random, self.observation_layout), self._obs_low,
                          self._obs_high).astype(np.float32)
        return obs

    def _physics_settings(self, terrain: str, visual: bool) -> PhysicsSettings:
        s = self.settings
        return PhysicsSettings(physics_hz=s.physics_hz, solver_iterations=s.solver_iterations,
                               ground_friction=s.ground_friction, self_collision=s.self_collision,
                               added_base_mass_kg=s.added_base_mass_kg, terrain=terrain, terrain_seed=s.terrain_seed,
                               payload_body=s.domain_randomization, gui=False, visual_shapes=visual)

    def _build_simulation(self, terrain: str) -> Engine:
        # Visual meshes cost ~170 MB per client; only the offscreen camera needs them (the GUI has its own client).
        return make_engine(self.settings.engine, self.robot,
                           self._physics_settings(terrain, visual=self.render_mode == "rgb_array"))

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this env is closed; make a new one with gymnasium.make")

    def _check_options(self, options: Any) -> Mapping[str, Any]:
        if options is None:
            return {}
        if not isinstance(options, Mapping):
            raise ValueError(f"reset options must be a mapping (dict) or None, got {type(options).__name__}")
        unknown = sorted(set(options) - set(self.task.RESET_OPTIONS))
        if unknown:
            valid = ", ".join(self.task.RESET_OPTIONS) or "none"
            raise ValueError(f"unknown reset option(s) {', '.join(map(repr, unknown))}; valid options: {valid}")
        return options

    def _validate_action(self, action: Any) -> np.ndarray:
        arr = np.asarray(action)
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"action must be numeric; got dtype {arr.dtype} (expected float32 of shape "
                             f"{self.action_space.shape})")
        if arr.shape != self.action_space.shape:
            raise ValueError(f"action must have shape {self.action_space.shape}, got {arr.shape}")
        arr = arr.astype(np.float64)
        if not np.isfinite(arr).all():
            bad = [self.action_layout[i] for i in np.flatnonzero(~np.isfinite(arr))]
            raise ValueError(f"action contains NaN or inf at {', '.join(bad)}")
        return np.minimum(np.maximum(arr, -1.0), 1.0)  # np.clip(arr, -1, 1), faster

    def _info(self, failure: str | None, terms: dict[str, float]) -> dict[str, Any]:
        state = self._state
        return {
            "reward_terms": dict(terms),
            "failure": failure,
            "time_s": self.sim.time_s,
            "base_position": state.base_position_world.copy() if state is not None else np.zeros(3),
            "push_impulse_ns": None if self._last_push is None else self._last_push.copy(),
            "privileged": {k: dict(v) if isinstance(v, dict) else v for k, v in self._privileged.items()},
            **self.task.info(),
        }

    def _camera_target(self) -> list[float]:
        pos = self._state.base_position_world if self._state is not None else np.zeros(3)
        return [float(pos[0]), float(pos[1]), 0.3]

    def _render_rgb(self) -> np.ndarray:
        if isinstance(self.sim, Simulation):
            p = self.sim.client
        else:
            # Another engine is drawn by a PyBullet client that only mirrors its state (the GUI viewer does the
            # same), so frames look alike in both engines and need no OpenGL context.
            if self._mirror is None:
                self._mirror = Simulation(self.robot, self._physics_settings("flat", visual=True))
            if self._state is not None:
                self._mirror.show_state(self._state)
            p = self._mirror.client
        w, h = self.settings.render_width, self.settings.render_height
        view = p.computeViewMatrixFromYawPitchRoll(self._camera_target(), 1.6, 30.0, -20.0, 0.0, 2)
        proj = p.computeProjectionMatrixFOV(60.0, w / h, 0.05, 20.0)
        _, _, rgba, _, _ = p.getCameraImage(w, h, view, proj, renderer=pybullet.ER_TINY_RENDERER)
        return np.asarray(rgba, dtype=np.uint8).reshape(h, w, 4)[:, :, :3].copy()

    def _sleep_to_real_time(self) -> None:
        target = self._wall_clock + self.control_dt_s
        now = time.perf_counter()
        if target > now:
            time.sleep(target - now)
        self._wall_clock = max(target, now)


def quadruped_env(env: gym.Env) -> QuadrupedEnv:
    """The :class:`QuadrupedEnv` under any wrappers of ``env`` (``env.unwrapped``, typed).

    Raises:
        TypeError: ``env`` is not a quadgait env.
    """
    base = env.unwrapped
    if not isinstance(base, QuadrupedEnv):
        raise TypeError(f"expected a quadgait env (QuadrupedEnv, any wrappers), got {type(base).__name__}")
    return base
