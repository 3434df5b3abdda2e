"""What the learning adds: the steerable env's model-based prior with a zero action (no policy), on the benchmark's
scenarios, beside a bench run's controllers.

Usage::

    .venv/bin/python benchmarks/prior_alone.py --results results/steer/results.json \\
        --scenario randomized --scenario push-12ns --scenario rough-2 --scenario keyboard-0.8 --episodes 5

Each episode is the benchmark's (the scenario's command or course, env settings and seeds, the same
``run_controller`` path); the env is ``quadgait/LaikagoSteerPrior-v0`` with its registered defaults, as the bench
runs a policy trained in it. Prints per scenario the mean xy velocity error, yaw-rate error, heading drift, falls
and (for a course) path error, with the same columns of each controller in ``--results`` when given.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

ENV_ID = "quadgait/LaikagoSteerPrior-v0"
METRICS = ("tracking_error_xy_mps", "tracking_error_yaw_radps", "heading_drift_deg", "path_error_m")


def run_scenario(scenario, episodes: int) -> dict:
    import gymnasium as gym

    import envs  # noqa: F401
    from envs.controllers import ZeroAction
    from envs.registry import episode_steps
    from envs.rollout import run_controller

    values = {m: [] for m in METRICS}
    falls = 0
    env = gym.make(ENV_ID, max_episode_steps=episode_steps(scenario.seconds, dict(scenario.env_settings)),
                   **dict(scenario.env_settings))
    try:
        for k in range(episodes):
            summary = run_controller(ZeroAction(env.action_space.shape[0]), env=env, seconds=scenario.seconds,
                                     seed=scenario.seed(k), options=scenario.reset_options()).summary
            falls += int(summary["fell"])
            for m in METRICS:
                value = summary["heading_drift_deg"] if m == "heading_drift_deg" else summary["metrics"].get(m)
                if value is not None and math.isfinite(value):
                    values[m].append(abs(value) if m == "heading_drift_deg" else value)
    finally:
        env.close()
    return {"falls": falls, "episodes": episodes,
            **{m: (float(np.mean(v)) if v else math.nan) for m, v in values.items()}}


def _cell_text(cell: dict, course: bool) -> str:
    text = (f"xy {cell['tracking_error_xy_mps']:.3f}, yaw {cell['tracking_error_yaw_radps']:.3f}, "
            f"drift {cell['heading_drift_deg']:.1f}°")
    if course and math.isfinite(cell.get("path_error_m", math.nan)):
        text += f", path {cell['path_error_m']:.2f} m"
    return text + f", falls {cell['falls']}/{cell['episodes']}"


def _bench_cell(cell: dict | None, course: bool) -> str:
    if not cell or not cell["succeeded"]:
        return "–"
    m = cell["metrics"]
    flat = {k: m[k]["mean"] for k in ("tracking_error_xy_mps", "tracking_error_yaw_radps", "path_error_m")}
    flat["heading_drift_deg"] = abs(m["heading_drift_deg"]["mean"])
    return _cell_text({**flat, "falls": cell["falls"], "episodes": cell["episodes"]}, course)


def main(argv=None) -> int:
    from train.bench.scenarios import STEERING, get_scenario

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", action="append", help="scenario name (repeatable; default: the steering "
                        "scenarios, randomized, push-12ns, rough-2)")
    parser.add_argument("--episodes", type=int, default=5)
    parser.add_argument("--results", type=Path, help="a bench results.json to print beside")
    args = parser.parse_args(argv)
    try:
        scenarios = [get_scenario(n) for n in (args.scenario or [*STEERING, "randomized", "push-12ns", "rough-2"])]
    except ValueError as exc:
        parser.error(str(exc))
    bench = json.loads(args.results.read_text()) if args.results else None
    controllers = bench["controllers"] if bench else []
    print(f"env {ENV_ID}, zero action, {args.episodes} episodes per scenario (the benchmark's seeds)\n")
    print("| scenario | prior alone (zero action) | " + " | ".join(controllers) + " |")
    print("|---|---|" + "---|" * len(controllers))
    for scenario in scenarios:
        course = scenario.schedule is not None
        row = [_cell_text(run_scenario(scenario, args.episodes), course)]
        row += [_bench_cell(bench["summary"].get(scenario.name, {}).get(c), course) for c in controllers]
        print(f"| {scenario.name} | " + " | ".join(row) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
