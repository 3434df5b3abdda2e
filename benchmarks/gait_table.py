"""docs/gaits.md's gait table: the six presets on both gait controllers, measured from the simulated foot contacts.

Usage: ``.venv/bin/python benchmarks/gait_table.py [--seconds 20] [--workers 2]``. Prints one Markdown table.

* **open-loop** rows: the scripted foot-trajectory controller (built-in names ``walk``, ``trot``, ...), commanded
  0.5 m/s, exactly what ``quadgait walk --gait G --speed 0.5 --seconds 20 --json`` runs and reports (gait metrics
  after the first 2 s).
* **model-based** rows: the stance-force QP controller (``mpc-<gait>``), commanded each preset's design speed, gait
  metrics after the first 3 s (its 0.5 s stand and 1 s start-up ramp), as ``benchmarks/model_based_gaits.py``.

Laikago (laikago_fast), flat ground, seed 0. Phase offsets are the measured footfall offsets (FR, FL, RR, RL; cycles
after FR's touch-down) and "max error" their largest circular distance from the preset's spec.
"""

from __future__ import annotations

import argparse
import platform
from concurrent.futures import ProcessPoolExecutor

import numpy as np

GAITS = ("walk", "trot", "pace", "bound", "gallop", "pronk")
OPEN_LOOP_SPEED_MPS = 0.5
WINDOW_S = {"open-loop": 2.0, "model-based": 3.0}


def run(job: dict) -> dict:
    from envs import metrics
    from envs.rollout import run_controller

    name = job["gait"] if job["kind"] == "open-loop" else f"mpc-{job['gait']}"
    episode = run_controller(name, seconds=job["seconds"], seed=0, command=job["command"])
    summary = metrics.summarize(episode.rollout, gait_window_start_s=WINDOW_S[job["kind"]])
    return {**summary, **job, "measured": summary["gait"]}


def spec_offsets(kind: str, gait: str) -> np.ndarray:
    if kind == "open-loop":
        from envs.gaits.spec import get_gait

        return np.array(get_gait(gait).phase_offsets)
    from envs.gaits.model_based_presets import get_model_based_gait

    return np.array(get_model_based_gait(gait).spec.phase_offsets)


def _offsets(values) -> str:
    return "(" + ", ".join("–" if not np.isfinite(v) else f"{round(v, 2) % 1.0:.2f}" for v in values) + ")"


def main() -> None:
    from envs.gait_analysis import circular_distance_cycles
    from envs.gaits.model_based_presets import get_model_based_gait

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    jobs = [{"kind": "open-loop", "gait": g, "command": (OPEN_LOOP_SPEED_MPS, 0.0, 0.0), "seconds": args.seconds}
            for g in GAITS]
    jobs += [{"kind": "model-based", "gait": g, "command": (get_model_based_gait(g).design_speed_mps, 0.0, 0.0),
              "seconds": args.seconds} for g in GAITS]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(run, jobs))
    print(f"# Gaits, {args.seconds:.0f} s, laikago_fast, flat, seed 0 ({platform.machine()}, Python "
          f"{platform.python_version()})\n")
    print("| controller | gait | command (m/s) | distance (m) | mean speed (m/s) | measured gait | phase offsets "
          "measured | phase offsets spec | max offset error (cycles) | duty factor | aerial fraction | stride freq "
          "(Hz) | CoT | heading drift (deg) | fell |")
    print("|---|---|---:|---:|---:|---|---|---|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        spec = spec_offsets(r["kind"], r["gait"])
        measured = np.array(r["phase_offsets_cycles"], dtype=float)
        error = float(np.max(circular_distance_cycles(measured, spec))) if np.all(np.isfinite(measured)) else np.nan
        fell = f"yes, at {r['time_to_fall_s']:.1f} s" if r["fell"] else "no"
        print(f"| {r['kind']} | {r['gait']} | {r['command'][0]:.2f} | {r['distance_m']:.2f} | "
              f"{r['mean_forward_speed_mps']:.3f} | {r['measured']} | ", end="")
        print(f"{_offsets(measured)} | {_offsets(spec)} | {error:.3f} | {r['duty_factor_mean']:.2f} | "
              f"{r['aerial_fraction']:.3f} | {r['stride_frequency_hz']:.2f} | {r['cost_of_transport']:.2f} | "
              f"{r['heading_drift_deg']:.1f} | {fell} |")


if __name__ == "__main__":
    main()
