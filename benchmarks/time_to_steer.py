"""Time to steer: minutes and env steps until a training run's evaluations first meet the steering criterion.

Usage::

    # train 5 seeds of the shipped recipe one after another (each a normal `quadgait train` run), then report
    .venv/bin/python benchmarks/time_to_steer.py --train --seeds 0 1 2 3 4 --timesteps 60000 --root runs/tts
    # or report runs trained earlier
    .venv/bin/python benchmarks/time_to_steer.py runs/tts/seed-0 runs/tts/seed-1 ...

The criterion is checked on each run's own evaluations (``eval.csv``, written by ``quadgait train``): every
evaluation rolls the deterministic policy out for ``eval_episodes`` episodes of ``eval_seconds`` on commands the
env's task draws at random from the training range, from seeds ``seed + eval_seed_offset + i`` that the training
envs never use (the hyperparameters say which; the commands are printed with the table). The run meets the criterion
at the first evaluation whose mean xy velocity error and mean yaw-rate error (over the whole episodes, start-up
included) are at or below the thresholds with no episode ending in a fall. Minutes are wall-clock from the start of
the ``quadgait train`` process (start-up included), at the moment the evaluated policy was taken.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

XY_MPS, YAW_RADPS, EPISODE_S = 0.08, 0.06, 20.0
ENV_ID = "quadgait/LaikagoSteerPrior-v0"


def criterion_text() -> str:
    return (f"xy velocity error <= {XY_MPS} m/s and yaw-rate error <= {YAW_RADPS} rad/s (means over the evaluation "
            f"episodes, whole {EPISODE_S:g} s episodes), no fall, and no episode that stood still when its command "
            f"asked for motion (|command| >= 0.1 with an error of half the command or more)")


def first_hit(rows: list[dict]) -> dict | None:
    return next((r for r in rows if r["fell"] == 0 and r.get("stood_still", 0) == 0
                 and r["tracking_error_xy_mps"] <= XY_MPS
                 and r["tracking_error_yaw_radps"] <= YAW_RADPS), None)


def evaluation_commands(config: dict) -> list[list[float]]:
    """The first command of each evaluation episode of a run (its eval env, reset with the evaluation seeds)."""
    import gymnasium as gym

    import envs  # noqa: F401

    hp = config["hyperparams"]
    kwargs = {**hp["env_kwargs"], **hp["eval_env_kwargs"]}
    env = gym.make(config["env_id"], **kwargs)
    try:
        out = []
        for i in range(hp["eval_episodes"]):
            _, info = env.reset(seed=config["seed"] + hp.get("eval_seed_offset", 0) + i,
                                options=hp["eval_options"] or None)
            out.append([round(float(v), 2) for v in info["command"]])
        return out
    finally:
        env.close()


def prior_alone(config: dict) -> dict:
    """The evaluation a run makes, with the untrained prior (zero action) in place of the policy."""
    import gymnasium as gym

    import envs  # noqa: F401
    from envs.controllers import ZeroAction
    from train.callbacks import Evaluator

    hp = config["hyperparams"]
    env = gym.make(config["env_id"], **{**hp["env_kwargs"], **hp["eval_env_kwargs"]})
    try:
        evaluator = Evaluator(env, csv_path=None, seconds=hp["eval_seconds"], episodes=hp["eval_episodes"],
                              seed=config["seed"] + hp.get("eval_seed_offset", 0), clock=None,
                              options=hp["eval_options"] or None)
        return evaluator.measure(ZeroAction(env.action_space.shape[0]))
    finally:
        env.close()


def train_seeds(seeds: list[int], timesteps: int, root: Path) -> list[Path]:
    runs = []
    for seed in seeds:
        out = root / f"seed-{seed}"
        if (out / "model.zip").is_file():
            print(f"{out}: already trained, kept", file=sys.stderr)
        else:
            cmd = [sys.executable, "-m", "train.cli", "train", "--env", ENV_ID, "--timesteps", str(timesteps),
                   "--seed", str(seed), "--out", str(out), "--no-progress"]
            print("$ " + " ".join(cmd), file=sys.stderr)
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True)
            print(f"{out}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        runs.append(out)
    return runs


def main(argv=None) -> int:
    from train.callbacks import read_eval_csv

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="*", type=Path, help="run folders written by quadgait train")
    parser.add_argument("--train", action="store_true", help=f"train {ENV_ID} first, one run per --seeds")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--timesteps", type=int, default=60_000)
    parser.add_argument("--prior", action="store_true",
                        help="also score the untrained prior (zero action) on each run's evaluation commands")
    parser.add_argument("--root", type=Path, default=Path("runs/time-to-steer"))
    args = parser.parse_args(argv)
    runs = list(args.runs)
    if args.train:
        runs += train_seeds(args.seeds, args.timesteps, args.root)
    if not runs:
        parser.error("give run folders, or --train")
    print(f"criterion: {criterion_text()}")
    rows, minutes, steps = [], [], []
    for run in runs:
        config = yaml.safe_load((run / "config.yaml").read_text())
        evals = read_eval_csv(run / "eval.csv")
        if not evals:
            rows.append(f"| {run} | {config['seed']} | no evaluations | - | - | - |")
            continue
        hit, last = first_hit(evals), evals[-1]
        if hit:
            minutes.append(hit["wall_clock_s"] / 60)
            steps.append(hit["step"])
        when = (f"{hit['wall_clock_s'] / 60:.1f}" if hit else f"not met in {last['wall_clock_s'] / 60:.1f}")
        got = hit or min(evals, key=lambda r: r["tracking_error_xy_mps"] + r["tracking_error_yaw_radps"])
        rows.append(f"| {run} | {config['seed']} | {when} | {hit['step'] if hit else '-'} | "
                    f"{got['tracking_error_xy_mps']:.3f} / {got['tracking_error_yaw_radps']:.3f} / {got['fell']} | "
                    f"{last['tracking_error_xy_mps']:.3f} / {last['tracking_error_yaw_radps']:.3f} / {last['fell']} "
                    f"at {last['step']} |")
    first = yaml.safe_load((runs[0] / "config.yaml").read_text())
    hp = first["hyperparams"]
    print(f"evaluation: {hp['eval_episodes']} episodes of {hp['eval_seconds']:g} s per evaluation, every "
          f"{hp['eval_freq']} steps; env {first['env_id']} with {hp['eval_env_kwargs']}; seeds seed + "
          f"{hp.get('eval_seed_offset', 0)} + i")
    print(f"commands of run {runs[0]} (vx m/s, vy m/s, yaw rate rad/s; heading mode changes the yaw rate on the "
          f"way): {evaluation_commands(first)}\n")
    print("| run | seed | minutes to criterion | steps then | xy / yaw / falls then (or best) | last eval |")
    print("|---|---:|---:|---:|---|---|")
    print("\n".join(rows))
    if args.prior:
        for run in runs:
            config = yaml.safe_load((run / "config.yaml").read_text())
            got = prior_alone(config)
            print(f"| prior alone (zero action), evaluation seeds of seed {config['seed']} | {config['seed']} | "
                  f"{'meets it' if first_hit([got]) else 'does not meet it'} | 0 | "
                  f"{got['tracking_error_xy_mps']:.3f} / {got['tracking_error_yaw_radps']:.3f} / {got['fell']} | - |")
    met = f"{len(minutes)}/{len(runs)} runs met it"
    if len(minutes) == len(runs):
        print(f"\nmedian {statistics.median(minutes):.1f} min (range {min(minutes):.1f}-{max(minutes):.1f}), "
              f"median {statistics.median(steps):.0f} steps (range {min(steps)}-{max(steps)}); {met}")
    else:
        print(f"\n{met}: no median (a run that never met it has no time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
