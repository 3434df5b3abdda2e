"""Check a benchmark run against the steering targets (docs/steering.md), from its results.json.

Usage::

    .venv/bin/quadgait bench --controller laikago-steer --controller mpc-trot --episodes 5 --workers 2 \\
        --out results/steer
    .venv/bin/python benchmarks/steering_targets.py results/steer/results.json

Prints, per controller: the mean xy velocity error and yaw-rate error over the flat steering scenarios (and whether
each is below the target and below the reference controller's in every flat cell), the heading drift on straight
commands, falls per scenario, and the course's path error. Numbers come from the file; nothing is re-simulated.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

FLAT = ("flat-0.3", "flat-0.5", "flat-0.8", "stand", "backward-0.3", "lateral-left-0.3", "lateral-right-0.3",
        "turn-in-place", "turn-left", "turn-right", "keyboard-0.5", "keyboard-0.8")
STRAIGHT = ("flat-0.3", "flat-0.5", "flat-0.8", "backward-0.3", "lateral-left-0.3", "lateral-right-0.3",
            "keyboard-0.5", "keyboard-0.8")
#: Issue 20's targets: tracking within RATIO x the reference's in every flat cell, heading drift, path error.
TARGETS = {"ratio": 1.2, "drift": 3.0, "path": 0.15}


def _mean(cell: dict, name: str) -> float:
    return cell["metrics"][name]["mean"] if cell and cell["succeeded"] else math.nan


def _ratio(cells: dict, ref: dict, scenario: str, metric: str) -> float:
    mine, theirs = _mean(cells.get(scenario), metric), _mean(ref.get(scenario), metric)
    return mine / max(theirs, 1e-3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--reference", default="mpc-trot", help="controller the tracking is compared with")
    parser.add_argument("--cells", action="store_true", help="also print every scenario's cell per controller")
    args = parser.parse_args()
    data = json.loads(args.results.read_text())
    summary = data["summary"]
    flat = [s for s in FLAT if s in summary]
    print(f"suite {data['suite_version']}, {data['episodes_per_cell']} episodes per cell, robot {data['robot']}\n")
    print(f"| controller | xy error, flat mean (m/s) | yaw-rate error, flat mean (rad/s) | worst cell ratio to "
          f"{args.reference} (xy / yaw) | cells within {TARGETS['ratio']}x (xy / yaw) | worst heading drift, "
          "straight (deg) | falls (scenarios with any) | figure-eight path error (m) |")
    print("|---|---:|---:|---:|---:|---:|---|---:|")
    for controller in data["controllers"]:
        cells = {s: summary[s].get(controller) for s in summary}
        ref = {s: summary[s].get(args.reference) for s in summary}
        xy = [_mean(cells[s], "tracking_error_xy_mps") for s in flat]
        yaw = [_mean(cells[s], "tracking_error_yaw_radps") for s in flat]
        rxy = [_ratio(cells, ref, s, "tracking_error_xy_mps") for s in flat]
        ryaw = [_ratio(cells, ref, s, "tracking_error_yaw_radps") for s in flat]
        ok_xy = sum(r <= TARGETS["ratio"] for r in rxy)
        ok_yaw = sum(r <= TARGETS["ratio"] for r in ryaw)
        drift = max((abs(_mean(cells[s], "heading_drift_deg")) for s in STRAIGHT if s in summary), default=math.nan)
        falls = {s: cells[s]["falls"] for s in summary if cells[s] and cells[s]["falls"]}
        falls_text = ", ".join(f"{s} {n}/{cells[s]['episodes']}" for s, n in falls.items()) or "none"
        path = _mean(cells.get("figure-eight"), "path_error_m") if "figure-eight" in summary else math.nan
        print(f"| {controller} | {sum(xy) / len(xy):.3f} | {sum(yaw) / len(yaw):.3f} | {max(rxy):.2f} / "
              f"{max(ryaw):.2f} | {ok_xy}/{len(flat)} / {ok_yaw}/{len(flat)} | {drift:.1f} | {falls_text} | "
              f"{path:.2f} |")
    print(f"\nTargets: xy and yaw-rate error within {TARGETS['ratio']}x of {args.reference}'s in every flat cell "
          f"(the ratio's denominator is floored at 0.001); heading drift <= {TARGETS['drift']} deg on every straight "
          f"command (heading mode and keyboard-style yaw rate 0); fewer falls than {args.reference} in randomized and "
          f"no more anywhere else; figure-eight path error <= {TARGETS['path']} m.")

    if args.cells:
        print("\n| scenario | " + " | ".join(data["controllers"]) + " |")
        print("|---|" + "---|" * len(data["controllers"]))
        for scenario in summary:
            row = []
            for controller in data["controllers"]:
                cell = summary[scenario].get(controller)
                if not cell or not cell["succeeded"]:
                    row.append("–")
                    continue
                text = (f"xy {_mean(cell, 'tracking_error_xy_mps'):.2f}, "
                        f"yaw {_mean(cell, 'tracking_error_yaw_radps'):.2f}, "
                        f"drift {_mean(cell, 'heading_drift_deg'):.1f}°")
                if scenario == "figure-eight":
                    text += f", path {_mean(cell, 'path_error_m'):.2f} m"
                row.append(text + f", falls {cell['falls']}/{cell['episodes']}")
            print(f"| {scenario} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
