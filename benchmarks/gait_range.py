"""Each scripted gait's usable forward-speed range on flat ground, and its cost of transport at 0.5 m/s.

Usage: ``.venv/bin/python benchmarks/gait_range.py [--workers 2] [--seconds 20]``. Prints a Markdown table.

For every gait preset and commanded speed 0.1, 0.2, ... 1.2 m/s, the gait runs for ``--seconds`` on flat ground
(seed 0). The table gives the commands the gait survives (no fall in the run), the measured mean forward speeds over
those runs (the usable speed range), the commands it *tracks* (no fall and mean speed within 25% of the command),
and the mechanical cost of transport, measured gait class and heading drift at a 0.5 m/s command.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor

SPEEDS = tuple(round(0.1 * k, 1) for k in range(1, 13))
USABLE_TOLERANCE = 0.25


def run(job: tuple[str, float, float]) -> dict:
    import envs  # noqa: F401
    from envs.rollout import run_controller

    gait, speed, seconds = job
    episode = run_controller(gait, seconds=seconds, seed=0, command=(speed, 0.0, 0.0))
    r, summary = episode.rollout, episode.summary["metrics"]
    return {"gait": gait, "command": speed, "fell": r.fell, "speed": summary["mean_forward_speed_mps"],
            "cot": summary["cost_of_transport"], "class": summary["gait"],
            "drift": summary["heading_drift_deg"]}


def main() -> None:
    from envs.gaits import GAIT_PRESETS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    gaits = list(GAIT_PRESETS)
    jobs = [(g, s, args.seconds) for g in gaits for s in SPEEDS]
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(run, jobs))
    print(f"# Scripted gaits on flat ground (laikago_fast, {args.seconds:.0f} s per run, seed 0, commands "
          f"{SPEEDS[0]}-{SPEEDS[-1]} m/s)\n")
    print("| gait | survives commands (m/s) | usable speed range, measured (m/s) | tracks within 25% (m/s) | "
          "CoT at 0.5 m/s | speed at 0.5 m/s | measured gait at 0.5 m/s | heading drift at 0.5 m/s (deg) |")
    print("|---|---|---|---|---:|---:|---|---:|")
    for gait in gaits:
        rows = [r for r in results if r["gait"] == gait]
        alive = [r for r in rows if not r["fell"]]
        tracked = [r for r in alive if abs(r["speed"] - r["command"]) <= USABLE_TOLERANCE * r["command"]]
        at_half = next(r for r in rows if r["command"] == 0.5)
        cot = "fell" if at_half["fell"] else f"{at_half['cot']:.2f}"
        print(f"| {gait} | {_commands(alive)} | {_speeds(alive)} | {_commands(tracked)} | {cot} | "
              f"{at_half['speed']:.2f} | {at_half['class']} | {at_half['drift']:.1f} |")


def _commands(rows: list[dict]) -> str:
    """Commands as compact ranges, e.g. '0.1-0.5, 0.7'."""
    values = sorted(r["command"] for r in rows)
    if not values:
        return "none"
    parts, start, prev = [], values[0], values[0]
    for v in values[1:] + [None]:
        if v is not None and round(v - prev, 1) == 0.1:
            prev = v
            continue
        parts.append(f"{start:.1f}" if start == prev else f"{start:.1f}-{prev:.1f}")
        if v is not None:
            start = prev = v
    return ", ".join(parts)


def _speeds(rows: list[dict]) -> str:
    if not rows:
        return "none"
    speeds = [r["speed"] for r in rows]
    return f"{min(speeds):.2f} - {max(speeds):.2f}"


if __name__ == "__main__":
    main()
