"""Run a controller in an env and record what the metrics need (a :class:`~envs.metrics.Rollout`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np

from envs.gaits.kinematics import forward_kinematics
from envs.gaits.controller import Controller
from envs.metrics import Rollout
from envs.robots.description import RobotDescription


def nominal_hip_height_m(robot: RobotDescription) -> float:
    """Hip height above ground in the standing pose (rigid legs), m; the length scale of the Froude number."""
    return float(-forward_kinematics(robot, robot.standing_angles)[:, 2].mean() + robot.foot_radius_m)


def run_episode(env: gym.Env, controller: Controller, command: np.ndarray, seconds: float, seed: int | None = None,
                on_step: Callable[[gym.Env, int], Any] | None = None) -> Rollout:
    """Roll ``controller`` out in ``env`` for up to ``seconds`` (or until the episode ends) and record it.

    Args:
        env: a quadgait env (wrappers allowed; the unwrapped env must expose ``robot_state``).
        controller: anything implementing :class:`~envs.gaits.controller.Controller`.
        command: (vx m/s, vy m/s, yaw rate rad/s) in the body frame.
        seconds: episode length cap, s.
        seed: reset seed.
        on_step: called as ``on_step(env, step_index)`` after reset (index 0) and after every step, e.g. to grab
            video frames.
    """
    base = env.unwrapped
    command = np.asarray(command, dtype=float)
    obs, _ = env.reset(seed=seed)
    controller.reset()
    dt = base.control_dt_s
    steps = int(round(seconds / dt))
    rows: dict[str, list] = {k: [] for k in (
        "time_s", "base_position_world", "base_rpy", "base_lin_vel_world", "base_lin_vel_body", "base_ang_vel_body",
        "command", "joint_angles", "joint_velocities", "joint_torques", "actions", "foot_contacts",
        "foot_normal_forces", "foot_positions_world")}
    fell, fall_time = False, None
    if on_step is not None:
        on_step(env, 0)
    for k in range(steps):
        state = base.robot_state
        action = np.asarray(controller.act(obs, state, state.time_s, command), dtype=np.float32)
        obs, _, terminated, truncated, info = env.step(action)
        state = base.robot_state
        for name, value in (("time_s", state.time_s), ("base_position_world", state.base_position_world),
                            ("base_rpy", state.base_rpy), ("base_lin_vel_world", state.base_lin_vel_world),
                            ("base_lin_vel_body", state.base_lin_vel_body),
                            ("base_ang_vel_body", state.base_ang_vel_body), ("command", command),
                            ("joint_angles", state.joint_angles), ("joint_velocities", state.joint_velocities),
                            ("joint_torques", state.joint_torques), ("actions", action),
                            ("foot_contacts", state.foot_contacts), ("foot_normal_forces", state.foot_normal_forces),
                            ("foot_positions_world", state.foot_positions_world)):
            rows[name].append(np.copy(value))
        if on_step is not None:
            on_step(env, k + 1)
        if terminated:
            fell, fall_time = True, float(state.time_s)
            break
        if truncated:
            break
    return Rollout(
        **{name: np.array(values) for name, values in rows.items()},
        dt_s=dt,
        total_mass_kg=base.sim.total_mass_kg,
        hip_height_m=nominal_hip_height_m(base.robot),
        fell=fell,
        fall_time_s=fall_time,
    )


def top_sustained_speed_mps(gait: str = "trot", commands_mps=tuple(round(0.5 + 0.1 * k, 1) for k in range(8)),
                            seconds: float = 20.0, seed: int = 0, **env_settings) -> float:
    """A scripted gait's top speed: the best mean forward speed (m/s) over runs at ``commands_mps`` (default
    0.5 ... 1.2 m/s) that last ``seconds`` without falling; 0 if every run falls. The reference that structured
    policies must beat (issue 7: by 20%)."""
    from envs import metrics
    from train.controllers import make_controller

    best = 0.0
    for command in commands_mps:
        env = gym.make("quadgait/LaikagoWalk-v0", target_speed_mps=float(command), **env_settings)
        try:
            rollout = run_episode(env, make_controller(gait, env), np.array([command, 0.0, 0.0]), seconds, seed=seed)
        finally:
            env.close()
        if not rollout.fell:
            best = max(best, metrics.mean_forward_speed_mps(rollout))
    return best
