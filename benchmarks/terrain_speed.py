"""Env steps/s on terrain vs flat ground, one core, side by side.

Usage: ``.venv/bin/python benchmarks/terrain_speed.py [--steps 1000] [--repeats 3]``. Prints a Markdown table.
Two workloads, each on every terrain: "stand" places the robot 3 m into the course (on the terrain, feet on the
ground) and holds the standing pose with zero actions; "trot replay" replays the scripted trot's actions recorded on
flat ground, starting at the origin, so the robot walks onto the terrain after its first metre (stepping continues
after a fall; a fallen robot costs a different amount than a walking one, so read this column with the fall time).
Target (issue 5): terrain within 30% of flat.
"""

from __future__ import annotations

import argparse
import os
import time

import gymnasium as gym
import numpy as np

import envs  # noqa: F401
from envs.rollout import run_controller

TERRAINS = ("flat", "rough:1", "rough:5", "slope:1", "stairs:1", "stairs:5")


def rate(terrain: str, actions: np.ndarray, on_course: bool) -> tuple[float, float | None]:
    """(env steps/s, time of the first termination or None)."""
    from envs.terrain import height_at

    env = gym.make("quadgait/LaikagoWalk-v0", terrain=terrain, max_episode_steps=10**6)
    try:
        env.reset(seed=0)
        sim = env.unwrapped.sim
        if on_course:
            x = 3.0
            ground = 0.0 if sim.terrain_heights is None else float(
                height_at(sim.terrain_heights, np.array([x - 0.25, x + 0.25]), np.zeros(2)).max())
            sim.client.resetBasePositionAndOrientation(sim.robot_id, [x, 0, ground + 0.48], [0, 0, 0, 1])
        fell_at = None
        start = time.perf_counter()
        for a in actions:
            terminated = env.step(a)[2]
            if terminated and fell_at is None:
                fell_at = env.unwrapped.sim.time_s
        return len(actions) / (time.perf_counter() - start), fell_at
    finally:
        env.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    actions = run_controller("trot", seconds=args.steps / 50.0, seed=0, command=(0.5, 0.0, 0.0)).rollout.actions
    zeros = np.zeros_like(actions)
    stand = {t: 0.0 for t in TERRAINS}
    trot = {t: 0.0 for t in TERRAINS}
    fell = {}
    for _ in range(args.repeats):  # interleaved, so drifts in machine load hit every terrain alike
        for terrain in TERRAINS:
            stand[terrain] = max(stand[terrain], rate(terrain, zeros, on_course=True)[0])
            sps, fell[terrain] = rate(terrain, actions, on_course=False)
            trot[terrain] = max(trot[terrain], sps)
    print(f"# LaikagoWalk-v0 (laikago_fast) env steps/s by terrain, one core, {args.steps} steps, best of "
          f"{args.repeats}\n")
    print("| terrain | stand: steps/s | stand vs flat | trot replay: steps/s | trot vs flat "
          "| trot replay fell at (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    for terrain in TERRAINS:
        fall = "-" if fell[terrain] is None else f"{fell[terrain]:.1f}"
        print(f"| {terrain} | {stand[terrain]:.0f} | {stand[terrain] / stand['flat']:.2f}x | {trot[terrain]:.0f} | "
              f"{trot[terrain] / trot['flat']:.2f}x | {fall} |")


if __name__ == "__main__":
    main()
