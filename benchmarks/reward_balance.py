"""Is standing still a local optimum? Episode returns of standing (zero action) against the scripted trot following
the command, under each task's own seeded commands.

Usage: ``.venv/bin/python benchmarks/reward_balance.py [--episodes 10]``. Prints a Markdown table: mean return over
the episodes (seeds 0..N-1, 20 s each, or until a fall), standing's share of the trot's, the same per step
(a controller that falls early collects fewer steps) and the falls.

The walk task pays an alive bonus of 1.0 per step, so standing earns most of what walking does; the velocity task
pays mostly for tracking the command (plus a foot air-time term), so standing earns little.
"""

from __future__ import annotations

import argparse

import gymnasium as gym
import numpy as np

import envs  # noqa: F401
from envs.controllers import make_controller

#: (env id, settings): the joint-target envs, where "standing" is an action of the policy's own space.
CASES = (("quadgait/LaikagoWalk-v0", {"target_speed_mps": 0.6}), ("quadgait/LaikagoVelocity-v1", {}))


def episode_return(env: gym.Env, seed: int, act) -> tuple[float, int, bool]:
    """(return, steps, ended by a fall) of one episode."""
    obs, _ = env.reset(seed=seed)
    total, steps = 0.0, 0
    while True:
        state = env.unwrapped.robot_state
        obs, reward, terminated, truncated, _ = env.step(act(obs, state, env.unwrapped.command))
        total += reward
        steps += 1
        if terminated or truncated:
            return total, steps, bool(terminated)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=10)
    args = parser.parse_args()
    print("| env | settings | standing: mean return | scripted trot: mean return | standing / trot | standing: "
          "reward per step | trot: reward per step | standing / trot, per step | falls: standing, trot |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for env_id, settings in CASES:
        env = gym.make(env_id, **settings)
        try:
            trot = make_controller("trot", env)
            stand = [episode_return(env, s, lambda o, st, c: np.zeros(12, np.float32)) for s in range(args.episodes)]
            walk = []
            for s in range(args.episodes):
                trot.reset()
                walk.append(episode_return(env, s, lambda o, st, c, trot=trot: trot.act(o, st, st.time_s, c)))
        finally:
            env.close()
        ret_s, ret_w = np.mean([r[0] for r in stand]), np.mean([r[0] for r in walk])
        per_s = sum(r[0] for r in stand) / sum(r[1] for r in stand)
        per_w = sum(r[0] for r in walk) / sum(r[1] for r in walk)
        print(f"| {env_id} | {settings or 'defaults'} | {ret_s:.0f} | {ret_w:.0f} | {ret_s / ret_w:.2f} | "
              f"{per_s:.3f} | {per_w:.3f} | {per_s / per_w:.2f} | {sum(r[2] for r in stand)}/{len(stand)}, "
              f"{sum(r[2] for r in walk)}/{len(walk)} |")


if __name__ == "__main__":
    main()
