"""Time-to-walk of training runs, read from their ``eval.csv`` (written by ``quadgait train``).

Usage: ``.venv/bin/python benchmarks/time_to_walk.py RUN_DIR [RUN_DIR ...]``. Prints a Markdown table.

Criteria (issue 7), checked on the training run's own 20 s deterministic evaluations:
* plain joint targets (``LaikagoWalk-v0``): mean forward speed ≥ 0.5 m/s with no fall;
* structured action spaces: beats the scripted trot, here by top speed: mean forward speed ≥ 1.2 × the scripted
  trot's top speed sustained for 20 s without falling (measured in this run of the script: the trot at commands
  0.5 ... 1.2 m/s, best mean speed among runs that did not fall);
* command-following envs (a velocity task, e.g. ``LaikagoSteer-v0``): *time to track*: on the evaluation course
  (the hyperparameters' ``eval_options``), mean xy velocity error ≤ 0.12 m/s and yaw-rate error ≤ 0.12 rad/s,
  no fall.
Wall-clock is from the start of ``quadgait train`` (it includes evaluation time).
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

import yaml

import envs  # noqa: F401
from envs.rollout import top_sustained_speed_mps

TRACK_MPS, TRACK_RADPS = 0.12, 0.12


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+")
    args = parser.parse_args()
    trot_top = None
    rows = []
    for run in map(Path, args.runs):
        config = yaml.safe_load((run / "config.yaml").read_text())
        env_id = config["env_id"]
        with open(run / "eval.csv") as f:
            evals = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]
        if (config.get("hyperparams") or {}).get("eval_options", {}).get("command_schedule"):
            criterion = f"course: xy error ≤ {TRACK_MPS} m/s, yaw-rate error ≤ {TRACK_RADPS} rad/s, no fall"
            hit = next((e for e in evals if e["fell"] == 0 and e["tracking_error_xy_mps"] <= TRACK_MPS
                        and e["tracking_error_yaw_radps"] <= TRACK_RADPS), None)
            best = min(evals, key=lambda e: e["tracking_error_xy_mps"] + e["tracking_error_yaw_radps"]
                       if e["fell"] == 0 else math.inf)
            rows.append((env_id, criterion, hit, evals[-1], best,
                         f"{best['tracking_error_xy_mps']:.3f} m/s, {best['tracking_error_yaw_radps']:.3f} rad/s"))
            continue
        if env_id == "quadgait/LaikagoWalk-v0":
            threshold, criterion = 0.5, "≥ 0.5 m/s, no fall, 20 s"
        else:
            if trot_top is None:
                trot_top = top_sustained_speed_mps("trot")
            threshold, criterion = 1.2 * trot_top, f"≥ 1.2 × trot top speed {trot_top:.2f} = {1.2 * trot_top:.2f} m/s"
        hit = next((e for e in evals if e["mean_speed_mps"] >= threshold and e["fell"] == 0), None)
        last = evals[-1]
        best = max(evals, key=lambda e: e["mean_speed_mps"] if e["fell"] == 0 else -1)
        rows.append((env_id, criterion, hit, last, f"{best['mean_speed_mps']:.2f} m/s"))
    print("| env | criterion | time to criterion (min) | steps then | best no-fall eval | steps trained | "
          "training steps/s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for env_id, criterion, hit, last, best_text in rows:
        when = f"{hit['wall_clock_s'] / 60:.1f}" if hit else f"not reached in {last['wall_clock_s'] / 60:.0f}"
        steps = f"{int(hit['step'])}" if hit else "-"
        print(f"| {env_id} | {criterion} | {when} | {steps} | {best_text} | {int(last['step'])} | "
              f"{last['step'] / last['wall_clock_s']:.0f} |")


if __name__ == "__main__":
    main()
