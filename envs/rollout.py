"""The one way to run a controller and summarise it: :func:`run_controller` (one episode, recorded and measured).

``quadgait walk``, ``demo``, ``eval`` and ``bench``, the training evaluator and the benchmark scripts all call
it. The command is the env's: the recorder stores ``info["command"]`` of every step (the command the task scored
that step against and wrote into the next observation), and every metric is computed against it. A caller that
wants a particular command resets the env with it (``options={"command": ...}``; ``run_controller(command=...)``
does that), never passes its own copy to the metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from envs import metrics
from envs.env import quadruped_env
from envs.gaits.controller import Controller
from envs.gaits.kinematics import standing_hip_height_m
from envs.metrics import Rollout

#: Contact-phase metrics skip the 1 s start-up ramp of the scripted gaits and one more second of settling.
GAIT_WINDOW_START_S = 2.0

_RECORDED = ("time_s", "base_position_world", "base_rpy", "base_lin_vel_world", "base_lin_vel_body",
             "base_ang_vel_body", "joint_angles", "joint_velocities", "joint_torques", "foot_contacts",
             "foot_normal_forces", "foot_positions_world")


def run_episode(env: gym.Env, controller: Controller, seconds: float, seed: int | None = None,
                options: Mapping[str, Any] | None = None,
                on_step: Callable[[gym.Env, int], Any] | None = None) -> Rollout:
    """Roll ``controller`` out in ``env`` for up to ``seconds`` (or until the episode ends) and record it.

    The controller acts on the env's command (:attr:`~envs.env.QuadrupedEnv.command`); row k of the recording holds
    the state after step k and ``info["command"]`` of that step.

    Args:
        env: a quadgait env (wrappers allowed).
        controller: anything implementing :class:`~envs.gaits.controller.Controller`.
        seconds: episode length cap, s.
        seed: reset seed.
        options: reset options (e.g. ``{"command": (vx, vy, yaw_rate)}`` for command-following tasks).
        on_step: called as ``on_step(env, step_index)`` after reset (index 0) and after every step, e.g. to grab
            video frames.
    """
    base = quadruped_env(env)
    obs, _ = env.reset(seed=seed, options=dict(options) if options else None)
    controller.reset()
    dt = base.control_dt_s
    rows: dict[str, list] = {k: [] for k in (*_RECORDED, "command", "actions")}
    fell, fall_time = False, None
    if on_step is not None:
        on_step(env, 0)
    for k in range(int(round(seconds / dt))):
        state = base.robot_state
        action = np.asarray(controller.act(obs, state, state.time_s, base.command), dtype=np.float32)
        obs, _, terminated, truncated, info = env.step(action)
        state = base.robot_state
        for name in _RECORDED:
            rows[name].append(np.copy(getattr(state, name)))
        rows["command"].append(np.array(info["command"], dtype=float))
        rows["actions"].append(action)
        if on_step is not None:
            on_step(env, k + 1)
        if terminated:
            fell, fall_time = True, float(state.time_s)
            break
        if truncated:
            break
    return Rollout(**{name: np.array(values) for name, values in rows.items()}, dt_s=dt,
                   total_mass_kg=base.sim.total_mass_kg, hip_height_m=standing_hip_height_m(base.robot),
                   fell=fell, fall_time_s=fall_time)


@dataclass(frozen=True)
class Episode:
    """One measured episode: the recording, and its summary (:func:`summarize_episode`)."""

    rollout: Rollout
    summary: dict[str, Any]


def summarize_episode(rollout: Rollout, *, controller: str, env_id: str, robot: str, seed: int | None,
                      **extra: Any) -> dict[str, Any]:
    """The numbers every report starts from: identification, the command the env used, headline numbers and the
    full metric set (:func:`envs.metrics.summarize`)."""
    summary = metrics.summarize(rollout, gait_window_start_s=GAIT_WINDOW_START_S)
    first = rollout.command[0]
    return {
        "controller": controller, "env_id": env_id, "robot": robot, "seed": seed,
        "command": {"vx_mps": float(first[0]), "vy_mps": float(first[1]), "yaw_rate_radps": float(first[2])},
        "command_varies": bool(np.any(rollout.command != first)),
        "duration_s": summary["duration_s"],
        "distance_m": summary["distance_m"],
        "mean_speed_mps": summary["mean_forward_speed_mps"],
        "heading_drift_deg": summary["heading_drift_deg"],
        "fell": bool(rollout.fell),
        **extra,
        "metrics": summary,
    }


def run_controller(controller: Any, *, seconds: float, seed: int | None = 0, command: Any = None,
                   heading_rad: float | None = None, options: Mapping[str, Any] | None = None,
                   settings: Mapping[str, Any] | None = None, env: gym.Env | None = None,
                   render_mode: str | None = None, on_step: Callable[[gym.Env, int], Any] | None = None) -> Episode:
    """Run one episode of ``controller`` and summarise it.

    Args:
        controller: a controller name (:func:`envs.controllers.resolve_controller`), a
            :class:`~envs.controllers.ControllerSpec`, or a :class:`Controller` object (then ``env`` is required).
        seconds: episode length, s.
        seed: reset seed.
        command: (vx, vy, yaw rate) for the task to hold all episode (reset option ``"command"``; the walk task
            refuses a sideways or turning one); None leaves the command to the task (its setting, its schedule or
            its seeded draws).
        heading_rad: with ``command`` (yaw rate 0), the heading to hold (reset option ``"heading_rad"``).
        options: further reset options (e.g. ``{"command_schedule": ...}``).
        settings: env settings on top of the controller's own (conditions: terrain, robot, pushes, ...).
        env: run in this env instead of making one (``settings`` and ``render_mode`` must then be None; the env
            is not closed).
        render_mode, on_step: passed to the env and to :func:`run_episode`.
    """
    from envs.controllers import ControllerSpec, resolve_controller
    from envs.registry import episode_steps

    reset_options = dict(options or {})
    if command is not None:
        reset_options["command"] = tuple(float(c) for c in command)
    if heading_rad is not None:
        reset_options["heading_rad"] = float(heading_rad)
    if env is not None:
        if settings or render_mode is not None:
            raise ValueError("with env=..., the env's own settings and render mode are used")
        base = quadruped_env(env)
        name = getattr(controller, "name", type(controller).__name__)
        env_id = base.spec.id if base.spec is not None else "?"
        rollout = run_episode(env, controller, seconds, seed, reset_options, on_step)
        return Episode(rollout, summarize_episode(rollout, controller=name, env_id=env_id,
                                                  robot=base.settings.robot, seed=seed))
    spec = controller if isinstance(controller, ControllerSpec) else resolve_controller(controller)
    env_kwargs = {**spec.env_kwargs, **(settings or {})}
    env = gym.make(spec.env_id, render_mode=render_mode, max_episode_steps=episode_steps(seconds, env_kwargs),
                   **env_kwargs)
    try:
        ctrl = spec.make(env)
        rollout = run_episode(env, ctrl, seconds, seed, reset_options, on_step)
        robot = quadruped_env(env).settings.robot
    finally:
        env.close()
    in_range = spec.in_range(rollout.command.min(axis=0)) and spec.in_range(rollout.command.max(axis=0))
    return Episode(rollout, summarize_episode(rollout, controller=spec.name, env_id=spec.env_id, robot=robot,
                                              seed=seed, command_in_training_range=in_range))


#: Forward commands of :func:`top_sustained_speed_mps`: 0.5 ... 1.2 m/s.
TOP_SPEED_COMMANDS_MPS: tuple[float, ...] = tuple(round(0.5 + 0.1 * k, 1) for k in range(8))


def top_sustained_speed_mps(gait: str = "trot", commands_mps: tuple[float, ...] = TOP_SPEED_COMMANDS_MPS,
                            seconds: float = 20.0, seed: int = 0, **settings: Any) -> float:
    """A scripted gait's top speed: the best mean forward speed (m/s) over runs at ``commands_mps`` (default
    0.5 ... 1.2 m/s) that last ``seconds`` without falling; 0 if every run falls. The reference that structured
    policies must beat (by 20%)."""
    best = 0.0
    for speed in commands_mps:
        episode = run_controller(gait, seconds=seconds, seed=seed, command=(float(speed), 0.0, 0.0),
                                 settings=settings)
        if not episode.rollout.fell:
            best = max(best, episode.summary["mean_speed_mps"])
    return best
