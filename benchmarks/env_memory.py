"""Memory per env: RSS growth over N envs made in one process, and the size of one SubprocVecEnv worker.

    .venv/bin/python benchmarks/env_memory.py [--envs 20] [--workers 2]

Prints a table; asserts nothing. Linux only (reads /proc). The target is <= 60 MB per env: an env that does not
render loads no visual meshes (PyBullet would keep ~170 MB of them per client). A SubprocVecEnv worker also holds
its own Python, NumPy, PyBullet and torch (stable-baselines3 imports it), which is what ``quadgait train --envs K``
pays per env; its PSS counts the shared libraries once per sharer.
"""

from __future__ import annotations

import argparse
import gc
from pathlib import Path

import gymnasium as gym
import numpy as np

import envs  # noqa: F401  (registers the ids)

ENV_ID = "quadgait/LaikagoWalk-v0"


def _status_mb(pid: str | int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _pss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def per_env_in_process(n: int, render_mode: str | None) -> tuple[float, float]:
    """(RSS growth over ``n`` reset and stepped envs, per env), MB, after one warm-up env."""
    warm = gym.make(ENV_ID, render_mode=render_mode)
    warm.reset(seed=0)
    if render_mode:
        warm.render()
    gc.collect()
    before = _status_mb("self")
    made = []
    for i in range(n):
        env = gym.make(ENV_ID, render_mode=render_mode)
        env.reset(seed=i)
        env.step(np.zeros(12, np.float32))
        if render_mode:
            env.render()
        made.append(env)
    gc.collect()
    grown = _status_mb("self") - before
    for env in (*made, warm):
        env.close()
    return grown, grown / n


def subproc_workers(k: int) -> list[tuple[float, float]]:
    """(RSS, PSS) in MB of each of ``k`` SubprocVecEnv workers after a reset (as ``quadgait train`` makes them)."""
    from train.training import make_vec_env

    venv = make_vec_env(ENV_ID, {}, k)
    try:
        venv.reset()
        venv.step(np.zeros((k, 12), np.float32))
        return [(_status_mb(p.pid), _pss_mb(p.pid)) for p in venv.processes]
    finally:
        venv.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--envs", type=int, default=20, help="envs made in one process (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="SubprocVecEnv workers (default 2)")
    args = parser.parse_args()

    print(f"{ENV_ID}, RSS from /proc (MB)\n")
    print("| measurement | envs | total growth (MB) | per env (MB) |")
    print("|---|---:|---:|---:|")
    for mode, n in ((None, args.envs), ("rgb_array", max(2, args.envs // 4))):
        total, each = per_env_in_process(n, mode)
        print(f"| envs in one process, render_mode={mode} | {n} | {total:.1f} | {each:.1f} |")
    for i, (rss, pss) in enumerate(subproc_workers(args.workers)):
        sizes = f"{rss:.0f} / {pss:.0f}"
        print(f"| SubprocVecEnv worker {i} (whole process: RSS / PSS) | 1 | {sizes} | {sizes} |")


if __name__ == "__main__":
    main()
