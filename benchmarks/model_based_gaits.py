"""The model-based gaits (stance-force QP controller) measured: six gaits at their design speeds, and their cost.

Usage: ``.venv/bin/python benchmarks/model_based_gaits.py [--seconds 20] [--workers 2] [--tables gaits speed ...]``.
Prints Markdown tables.

1. **Gaits**: each model-based preset on the Laikago (laikago_fast), flat ground, its design speed, ``--seconds``
   (20), seed 0, run as the built-in controller ``mpc-<gait>`` through ``envs.rollout.run_controller`` and measured with
   ``envs.metrics.summarize`` after the
   first 3 s (0.5 s standing + 1 s start-up ramp, then a margin). Phase offsets are the measured footfall offsets
   (FR, FL, RR, RL; cycles after FR's touch-down) next to the spec's; "max error" is the largest circular distance.
2. **Speed**: control steps per second of env + controller on one core (the process pins itself to one CPU),
   model-based trot (torque actions, 250 Hz control, 250 Hz physics) next to the open-loop trot (joint targets,
   50 Hz control, 250 Hz physics, the env's defaults) in the same run, each the best of ``--repeats`` interleaved
   runs of ``--speed-steps`` steps. Rates are per second of the process's CPU time, so that other work on a shared
   machine does not count against them (wall-clock rates are printed too); "simulated s per CPU s" puts the two
   control rates on one scale.

Further tables (``--tables``): ``robustness``: ``--episodes`` episodes (seeds 0, 1, ...) of each scenario per gait
(``--robustness-gaits``) at 0.5 m/s, as ``train/bench/scenarios.py`` defines push-8ns, payload-5kg, low-friction,
rough-1 and slope-5deg, plus one episode on ``rough:3``; ``top-speed``: the trot commanded 1.6, 1.7 and 2.0 m/s;
``yaw``: the trot at 0.5 m/s turning at ±0.5 and 1.0 rad/s; ``robots``: the Froude-scaled presets
(``--robot-gaits``) on the Laikago, A1, Aliengo and Mini Cheetah.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

GAIT_WINDOW_S = 3.0
GAITS = ("walk", "trot", "pace", "bound", "gallop", "pronk")
SCENARIOS = {  # name: env settings (train/bench/scenarios.py's definitions, and rough:3 from the issue)
    "push-8ns": {"push_impulse_ns": 8.0, "push_interval_s": 4.0},
    "payload-5kg": {"added_base_mass_kg": 5.0},
    "low-friction": {"ground_friction": 0.4},
    "rough-1": {"terrain": "rough:1"},
    "slope-5deg": {"terrain": "slope:1"},
    "rough-3": {"terrain": "rough:3"},
}


def run(job: dict) -> dict:
    """One episode of the model-based controller; returns the summary plus what the tables need."""
    import envs  # noqa: F401
    from envs import metrics
    from envs.rollout import run_controller

    r = run_controller(f"mpc-{job['gait']}", seconds=job["seconds"], seed=job["seed"], command=job["command"],
                       settings={"robot": job.get("robot", "laikago_fast"), **job.get("env", {})}).rollout
    summary = metrics.summarize(r, gait_window_start_s=GAIT_WINDOW_S)
    keep = r.time_s >= GAIT_WINDOW_S
    yaw = np.unwrap(r.base_rpy[keep, 2])
    span = r.time_s[keep][-1] - r.time_s[keep][0] if keep.sum() > 1 else float("nan")
    yaw_rate = float((yaw[-1] - yaw[0]) / span) if keep.sum() > 1 else float("nan")
    speed = float(np.mean(r.base_lin_vel_body[keep, 0])) if keep.any() else float("nan")
    return {**summary, **job, "measured": summary["gait"], "settled_yaw_rate_radps": yaw_rate,
            "settled_speed_mps": speed}


def _fmt(values) -> str:
    return "(" + ", ".join("–" if not np.isfinite(v) else f"{round(v, 2) % 1.0:.2f}" for v in values) + ")"


def gait_table(results: list[dict]) -> None:
    from envs.gait_analysis import circular_distance_cycles
    from envs.gaits.model_based_presets import get_model_based_gait

    print("| gait | command (m/s) | distance (m) | mean speed (m/s) | measured gait | phase offsets measured | "
          "phase offsets spec | max offset error (cycles) | duty factor | aerial fraction | CoT | fell |")
    print("|---|---:|---:|---:|---|---|---|---:|---:|---:|---:|---|")
    for r in results:
        spec = np.array(get_model_based_gait(r["gait"]).spec.phase_offsets)
        measured = np.array(r["phase_offsets_cycles"])
        error = float(np.max(circular_distance_cycles(measured, spec))) if np.all(np.isfinite(measured)) else np.nan
        fell = f"yes, at {r['time_to_fall_s']:.1f} s" if r["fell"] else "no"
        print(f"| {r['gait']} | {r['command'][0]:.2f} | {r['distance_m']:.2f} | {r['mean_forward_speed_mps']:.3f} | "
              f"{r['measured']} | {_fmt(measured)} | "
              f"{_fmt(spec)} | {error:.3f} | {r['duty_factor_mean']:.2f} | {r['aerial_fraction']:.3f} | "
              f"{r['cost_of_transport']:.2f} | {fell} |")


def speed_table(steps: int, repeats: int) -> None:
    import gymnasium as gym

    import envs  # noqa: F401
    from envs.controllers import resolve_controller

    def rate(model_based: bool) -> tuple[float, float, float]:
        spec = resolve_controller("mpc-trot" if model_based else "trot")
        env = gym.make(spec.env_id, max_episode_steps=10**9, **spec.env_kwargs)
        try:
            base = env.unwrapped
            controller = spec.make(env)
            obs, _ = env.reset(seed=0, options={"command": (0.5, 0.0, 0.0)})
            controller.reset()
            for _ in range(int(2.0 / base.control_dt_s)):  # past the start-up, into the steady trot
                state = base.robot_state
                obs, *_ = env.step(controller.act(obs, state, state.time_s, base.command))
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(steps):
                state = base.robot_state
                obs, *_ = env.step(controller.act(obs, state, state.time_s, base.command))
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            return steps / cpu, steps * base.control_dt_s / cpu, steps / wall
        finally:
            env.close()

    best = {True: (0.0, 0.0, 0.0), False: (0.0, 0.0, 0.0)}
    for _ in range(repeats):  # interleaved, so both see the same machine load
        for model_based in (True, False):
            best[model_based] = max(best[model_based], rate(model_based))
    print("| controller | env settings | control steps per CPU s (env + controller) | simulated s per CPU s | "
          "control steps per wall s |")
    print("|---|---|---:|---:|---:|")
    for model_based, name, settings in ((True, "model-based trot", "torque, 250 Hz control, 250 Hz physics"),
                                        (False, "open-loop trot", "pd, 50 Hz control, 250 Hz physics")):
        steps_cpu, sim_cpu, steps_wall = best[model_based]
        print(f"| {name} | {settings} | {steps_cpu:.0f} | {sim_cpu:.2f} | {steps_wall:.0f} |")


def robustness_table(pool: ProcessPoolExecutor, seconds: float, gaits: list[str], episodes: int) -> None:
    jobs = [{"gait": g, "command": (0.5, 0.0, 0.0), "seconds": seconds, "seed": seed, "env": env, "scenario": name}
            for g in gaits for name, env in SCENARIOS.items() for seed in range(episodes if name != "rough-3" else 1)]
    results = list(pool.map(run, jobs))
    print(f"\nRobustness at 0.5 m/s, {seconds:.0f} s per episode, seeds 0-{episodes - 1} (rough-3: seed 0): falls / "
          "episodes, and the mean speed over the episodes that did not fall:\n")
    print("| gait | " + " | ".join(SCENARIOS) + " |")
    print("|---|" + "---|" * len(SCENARIOS))
    for g in gaits:
        cells = []
        for name in SCENARIOS:
            rows = [r for r in results if r["gait"] == g and r["scenario"] == name]
            ok = [r["mean_forward_speed_mps"] for r in rows if not r["fell"]]
            cells.append(f"{sum(r['fell'] for r in rows)}/{len(rows)}" + (f", {np.mean(ok):.2f} m/s" if ok else ""))
        print(f"| {g} | " + " | ".join(cells) + " |")


def top_speed_table(pool: ProcessPoolExecutor, seconds: float) -> None:
    jobs = [{"gait": "trot", "command": (v, 0.0, 0.0), "seconds": seconds, "seed": 0} for v in (1.6, 1.7, 2.0)]
    print(f"\nTrot top speed ({seconds:.0f} s, seed 0; mean forward speed over the whole run, start-up included):\n")
    print("| command (m/s) | fell | mean speed (m/s) | speed after 3 s (m/s) | measured gait |")
    print("|---:|---|---:|---:|---|")
    for r in pool.map(run, jobs):
        fell = f"yes, at {r['time_to_fall_s']:.1f} s" if r["fell"] else "no"
        print(f"| {r['command'][0]:.1f} | {fell} | "
              f"{r['mean_forward_speed_mps']:.3f} | {r['settled_speed_mps']:.3f} | {r['measured']} |")


def yaw_table(pool: ProcessPoolExecutor, seconds: float) -> None:
    jobs = [{"gait": "trot", "command": (0.5, 0.0, w), "seconds": seconds, "seed": 0} for w in (0.5, -0.5, 1.0)]
    print(f"\nYaw-rate tracking (trot, 0.5 m/s, {seconds:.0f} s; yaw rate = heading change / time after 3 s):\n")
    print("| commanded yaw rate (rad/s) | measured (rad/s) | error (rad/s) | fell |")
    print("|---:|---:|---:|---|")
    for r in pool.map(run, jobs):
        print(f"| {r['command'][2]:.1f} | {r['settled_yaw_rate_radps']:.3f} | "
              f"{abs(r['settled_yaw_rate_radps'] - r['command'][2]):.3f} | {'yes' if r['fell'] else 'no'} |")


def robots_table(pool: ProcessPoolExecutor, seconds: float, gaits: list[str]) -> None:
    from envs.gaits.scaling import froude_speed_mps
    from envs.robots import get_robot

    robots = ("laikago_fast", "a1", "aliengo", "mini_cheetah")
    jobs = [{"gait": g, "robot": name, "command": (froude_speed_mps(get_robot(name), 0.5), 0.0, 0.0),
             "seconds": seconds, "seed": 0} for name in robots for g in gaits]
    print(f"\nEvery robot (Froude-scaled presets at the Froude-equivalent of 0.5 m/s on the Laikago, {seconds:.0f} s, "
          "seed 0):\n")
    print("| robot | gait | command (m/s) | fell | mean speed (m/s) | measured gait | aerial fraction |")
    print("|---|---|---:|---|---:|---|---:|")
    for r in pool.map(run, jobs):
        print(f"| {r['robot']} | {r['gait']} | {r['command'][0]:.2f} | {'yes' if r['fell'] else 'no'} | "
              f"{r['mean_forward_speed_mps']:.3f} | {r['measured']} | {r['aerial_fraction']:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--speed-steps", type=int, default=2500, help="control steps per speed measurement")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tables", nargs="+", default=["gaits", "speed"],
                        choices=["gaits", "speed", "robustness", "top-speed", "yaw", "robots"])
    parser.add_argument("--robustness-gaits", nargs="+", default=list(GAITS), choices=GAITS)
    parser.add_argument("--episodes", type=int, default=5, help="robustness episodes per scenario and gait")
    parser.add_argument("--robot-gaits", nargs="+", default=["trot", "pronk"], choices=GAITS)
    args = parser.parse_args()
    from envs.gaits.model_based_presets import get_model_based_gait

    print(f"# Model-based gaits, {args.seconds:.0f} s episodes ({platform.machine()}, Python "
          f"{platform.python_version()})")
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        if "gaits" in args.tables:
            print("\nSix gaits at their design speeds, laikago_fast, flat ground, seed 0:\n")
            jobs = [{"gait": g, "command": (get_model_based_gait(g).design_speed_mps, 0.0, 0.0),
                     "seconds": args.seconds, "seed": 0} for g in GAITS]
            gait_table(list(pool.map(run, jobs)))
        if "robustness" in args.tables:
            robustness_table(pool, args.seconds, args.robustness_gaits, args.episodes)
        if "top-speed" in args.tables:
            top_speed_table(pool, args.seconds)
        if "yaw" in args.tables:
            yaw_table(pool, args.seconds)
        if "robots" in args.tables:
            robots_table(pool, args.seconds, args.robot_gaits)
    if "speed" in args.tables:
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
        print(f"\nSpeed on one core (best of {args.repeats} interleaved runs of {args.speed_steps} control steps, "
              "steady trot at 0.5 m/s after a 2 s start):\n")
        speed_table(args.speed_steps, args.repeats)


if __name__ == "__main__":
    main()
