"""Env speed on one core: LaikagoWalk-v0 steps/s per URDF variant vs raw PyBullet stepping of the same robot.

Usage: ``.venv/bin/python benchmarks/env_speed.py [--steps N] [--repeats R]``. Prints a Markdown table.

Workload: the scripted trot's action sequence at 0.5 m/s (recorded once, then replayed, so the controller's cost is
excluded). "Raw PyBullet" replays, in a bare loop, the exact joint torques the env applied at every physics substep
(same robot, same start state, same physics rate, solver iterations and substeps), so both runs simulate the same
motion and the difference is only what the env adds in Python: the PD law per substep, the state read, observation,
reward and checks. Overhead = 1 - env rate / raw rate.
The process is pinned to one core; each cell is the best of ``repeats`` interleaved runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import gymnasium as gym
import numpy as np

import envs  # noqa: F401
from envs._pybullet import pybullet
from envs.rollout import run_controller


def trot_actions(robot: str, steps: int) -> np.ndarray:
    episode = run_controller("trot", seconds=steps / 50.0, seed=0, command=(0.5, 0.0, 0.0), settings={"robot": robot})
    return episode.rollout.actions


def env_rate(robot: str, actions: np.ndarray, record: list | None = None) -> float:
    env = gym.make("quadgait/LaikagoWalk-v0", robot=robot, max_episode_steps=10**6)
    try:
        env.reset(seed=0)
        sim = env.unwrapped.sim
        if record is not None:  # log the URDF-frame torques of every substep (slows this run; not timed)
            apply = sim._apply_torques

            def logging_apply(tau, qd):
                apply(tau, qd)
                record.append((sim._last_torques * sim._directions).tolist())

            sim._apply_torques = logging_apply
        start = time.perf_counter()
        for a in actions:
            env.step(a)
        return len(actions) / (time.perf_counter() - start)
    finally:
        env.close()


def raw_rate(robot: str, torques: list, substeps: int) -> float:
    env = gym.make("quadgait/LaikagoWalk-v0", robot=robot).unwrapped
    try:
        env.reset(seed=0)
        sim = env.sim
        cid, rid, ids = sim.client._client, sim.robot_id, sim.joint_ids
        start = time.perf_counter()
        for tau in torques:
            pybullet.setJointMotorControlArray(rid, ids, pybullet.TORQUE_CONTROL, forces=tau, physicsClientId=cid)
            pybullet.stepSimulation(physicsClientId=cid)
        return len(torques) / substeps / (time.perf_counter() - start)
    finally:
        env.close()


def minitaur_rate(steps: int) -> str:
    try:
        from pybullet_envs.bullet.minitaur_gym_env import MinitaurBulletEnv
    except Exception as exc:  # noqa: BLE001 - we report why it is unavailable
        return f"does not import ({type(exc).__name__}: {exc})"
    env = MinitaurBulletEnv(render=False)
    env.reset()
    start = time.perf_counter()
    for _ in range(steps):
        env.step(np.zeros(env.action_space.shape))
    return f"{steps / (time.perf_counter() - start):.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000, help="env steps per measurement (default 1000 = 20 s)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    settings = gym.make("quadgait/LaikagoWalk-v0").unwrapped
    rates = settings.settings
    settings.close()
    print(f"# LaikagoWalk-v0 speed, one core ({platform.processor() or platform.machine()}, Python "
          f"{platform.python_version()}, pybullet {pybullet.getAPIVersion()}); physics {rates.physics_hz:.0f} Hz, "
          f"control {rates.control_hz:.0f} Hz ({rates.substeps} substeps), {rates.solver_iterations} solver "
          f"iterations; workload: scripted trot at 0.5 m/s, {args.steps} steps, best of {args.repeats}\n")
    rows = []
    for robot in ("laikago_fast", "laikago"):
        actions = trot_actions(robot, args.steps)
        torques: list = []
        env_rate(robot, actions, record=torques)
        best_env = best_raw = 0.0
        for _ in range(args.repeats):
            best_env = max(best_env, env_rate(robot, actions))
            best_raw = max(best_raw, raw_rate(robot, torques, rates.substeps))
        rows.append((robot, best_env, best_raw))
    fast_env = rows[0][1]
    print("| robot variant | env steps/s | raw PyBullet steps/s (same substeps) | env / raw | env overhead | "
          "env speed vs laikago_fast |")
    print("|---|---:|---:|---:|---:|---:|")
    for robot, env_sps, raw_sps in rows:
        print(f"| {robot} | {env_sps:.0f} | {raw_sps:.0f} | {env_sps / raw_sps:.2f} | "
              f"{100 * (1 - env_sps / raw_sps):.0f}% | {env_sps / fast_env:.2f}x |")
    print(f"\npybullet_envs MinitaurBulletEnv steps/s: {minitaur_rate(args.steps)}")


if __name__ == "__main__":
    main()
