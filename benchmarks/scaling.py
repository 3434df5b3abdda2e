"""Parallel scaling: aggregate env steps/s of N processes, beside bare PyBullet scaled the same way.

Usage (from the repository root)::

    python -m benchmarks.scaling [--max-procs N] [--steps 1000] [--repeats 2] [--robot laikago_fast] [--no-pin]

Prints a Markdown table. For N = 1, 2, 4, ... up to ``--max-procs`` (default: the cores this process may use, which
is also always measured), N processes each replay the same workload side by side, started together:

* **env**: ``LaikagoWalk-v0`` stepping the scripted trot's recorded actions (as ``benchmarks/env_speed.py``);
* **bare PyBullet**: the same robot stepped by a bare loop applying the torques the env applied at every physics
  step (the same motion).

Aggregate steps/s = all processes' steps / the wall time from the common start to the last finish; efficiency =
aggregate(N) / (N × aggregate(1)). Each process is pinned to its own core (``--no-pin`` leaves placement to the OS).
The issue-14 target: at the machine's full core count the env's efficiency is within 0.1 of bare PyBullet's.
Each cell is the best of ``repeats``; N = 1 and the env/bare rows alternate, so slow drift in machine load shows up
in both.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import time

import numpy as np

ENV_ID = "quadgait/LaikagoWalk-v0"


def cores() -> list[int]:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))


def record(robot: str, steps: int) -> tuple[np.ndarray, list]:
    """(the trot's actions, the URDF-frame torques of every physics step of the env replaying them)."""
    from benchmarks.env_speed import record_replay, trot_actions

    actions = trot_actions(robot, steps)
    return actions, record_replay(robot, actions)[1]


def _worker(kind: str, robot: str, payload, core: int | None, barrier, results) -> None:
    import gymnasium as gym

    import envs  # noqa: F401
    from envs._pybullet import pybullet

    if core is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})
    env = gym.make(ENV_ID, robot=robot, max_episode_steps=10**6)
    try:
        env.reset(seed=0)
        if kind == "env":
            barrier.wait()
            start = time.perf_counter()
            for a in payload:
                env.step(a)
            steps = len(payload)
        else:
            sim = env.unwrapped.sim
            cid, rid, ids = sim.client._client, sim.robot_id, sim.joint_ids
            set_motors, step, mode = pybullet.setJointMotorControlArray, pybullet.stepSimulation, \
                pybullet.TORQUE_CONTROL
            barrier.wait()
            start = time.perf_counter()
            for tau in payload:
                set_motors(rid, ids, mode, forces=tau, physicsClientId=cid)
                step(physicsClientId=cid)
            steps = len(payload) // env.unwrapped.settings.substeps  # control steps: the env rows' unit
        results.put((start, time.perf_counter(), steps))
    finally:
        env.close()


def aggregate_rate(kind: str, robot: str, payload, n: int, pin: bool) -> float:
    ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
    barrier = ctx.Barrier(n)
    results = ctx.Queue()
    cpus = cores()
    procs = [ctx.Process(target=_worker, args=(kind, robot, payload, cpus[i % len(cpus)] if pin else None, barrier,
                                               results), daemon=True) for i in range(n)]
    for p in procs:
        p.start()
    got = [results.get() for _ in range(n)]
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise RuntimeError(f"a {kind} process failed (exit code {p.exitcode})")
    start = min(g[0] for g in got)
    end = max(g[1] for g in got)
    return sum(g[2] for g in got) / (end - start)


def counts(max_procs: int) -> list[int]:
    out, n = [], 1
    while n < max_procs:
        out.append(n)
        n *= 2
    return out + [max_procs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-procs", type=int, default=len(cores()), help="largest process count (default: cores)")
    parser.add_argument("--steps", type=int, default=1000, help="env steps per process (default 1000 = 20 s)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--robot", default="laikago_fast")
    parser.add_argument("--no-pin", action="store_true", help="do not pin each process to its own core")
    args = parser.parse_args()
    actions, torques = record(args.robot, args.steps)
    ns = counts(args.max_procs)
    print(f"# Parallel scaling of {ENV_ID} ({args.robot}), {platform.processor() or platform.machine()}, "
          f"{len(cores())} usable cores; {args.steps} steps per process (scripted trot replay), best of "
          f"{args.repeats}, processes {'pinned one per core' if not args.no_pin else 'not pinned'}\n")
    best: dict[tuple[str, int], float] = {}
    for repeat in range(args.repeats):
        for n in ns:
            kinds = ("env", "bare") if (repeat + n) % 2 == 0 else ("bare", "env")
            for kind in kinds:
                rate = aggregate_rate(kind, args.robot, actions if kind == "env" else torques, n, not args.no_pin)
                best[kind, n] = max(best.get((kind, n), 0.0), rate)
    print("| processes | env steps/s (all processes) | env efficiency | bare PyBullet steps/s | bare efficiency | "
          "env − bare efficiency |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in ns:
        env_eff = best["env", n] / (n * best["env", 1])
        bare_eff = best["bare", n] / (n * best["bare", 1])
        print(f"| {n} | {best['env', n]:.0f} | {env_eff:.2f} | {best['bare', n]:.0f} | {bare_eff:.2f} | "
              f"{env_eff - bare_eff:+.2f} |")


if __name__ == "__main__":
    main()
