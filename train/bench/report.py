"""Benchmark reports: ``results.json`` (every episode, mean and std per cell), ``results.md`` and PNG plots.

All files are written atomically, so an interrupted run never leaves a half-written report. Files of an earlier
report in the same folder that this one does not rewrite (plots, saved rollouts) are removed, so the folder never
mixes two runs. A run stopped by Ctrl-C writes the cells it finished, marked ``"interrupted": true``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from train.atomic import write_json, write_text
from train.bench.scenarios import SUITE_VERSION, Scenario
from train.bench.tables import (  # noqa: F401  (re-exported: report.markdown_table, ...)
    STAT_COLUMNS,
    _fmt,
    _interval,
    improvement_lines,
    markdown_table,
    statistics_markdown,
    statistics_rows,
)

#: Scalar metrics aggregated per controller × scenario (mean and std over successful episodes).
AGGREGATED = ("mean_forward_speed_mps", "distance_m", "tracking_error_xy_mps", "tracking_error_yaw_radps",
              "path_error_m", "cost_of_transport", "froude_number", "duty_factor_mean", "aerial_fraction",
              "stride_frequency_hz", "stride_length_m",
              "swing_clearance_m", "foot_slip_mps", "roll_rms_rad", "pitch_rms_rad", "action_smoothness",
              "heading_drift_deg", "heading_change_deg", "time_to_fall_s")


def aggregate(records: Sequence[dict], controllers: Sequence[str], scenarios: Sequence[Scenario]) -> dict:
    """Per scenario, per controller: episode counts, falls, gait classes and mean/std/n of each metric."""
    summary: dict[str, dict[str, Any]] = {}
    for scenario in scenarios:
        summary[scenario.name] = {}
        for controller in controllers:
            rows = [r for r in records if r["scenario"] == scenario.name and r["controller"] == controller]
            ok = [r for r in rows if r["status"] == "ok"]
            outside = [r for r in rows if r["status"] == "outside_range"]
            cell: dict[str, Any] = {
                "episodes": len(rows), "succeeded": len(ok), "failed": len(rows) - len(ok) - len(outside),
                "outside_training_range": len(outside),
                # Episodes that ran although the command lies outside the policy's training range (flagged).
                "ran_outside_training_range": sum(not r.get("command_in_training_range", True) for r in ok),
                "command_range": next((r["command_range"] for r in rows if "command_range" in r), None),
                "errors": sorted({r["error"] for r in rows if r["status"] == "failed"}),
                "falls": sum(bool(r["metrics"]["fell"]) for r in ok),
                "gait_classes": dict(Counter(r["metrics"]["gait"] for r in ok)),
                "metrics": {},
            }
            for name in AGGREGATED:
                values = np.array([r["metrics"][name] for r in ok], dtype=float) if ok else np.array([])
                values = values[np.isfinite(values)]
                cell["metrics"][name] = {
                    "mean": float(values.mean()) if values.size else math.nan,
                    "std": float(values.std()) if values.size else math.nan,
                    "n": int(values.size),
                }
            summary[scenario.name][controller] = cell
    return summary


#: Files a report writes, besides results.json and results.md (removed when a new report does not rewrite them).
PLOTS = ("footfall.png", "speed_vs_command.png", "cot_vs_speed.png", "performance_profile.png",
         "learning_curves.png", "report.html")
ROLLOUT_DIR = "rollouts"


def build_results(records: Sequence[dict], controllers: Sequence[str], scenarios: Sequence[Scenario], *,
                  episodes: int, robot: str, command_line: str, executor: str, wall_clock_s: float,
                  planned: int | None = None, interrupted: bool = False) -> dict:
    """The ``results.json`` content. ``planned``: the number of episodes asked for (``interrupted`` runs finish
    fewer)."""
    return {
        "suite_version": SUITE_VERSION,
        "interrupted": interrupted,
        "episodes_planned": len(records) if planned is None else planned,
        "episodes_finished": len(records),
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command_line": command_line,
        "robot": robot,
        "executor": executor,
        "wall_clock_s": wall_clock_s,
        "episodes_per_cell": episodes,
        "controllers": list(controllers),
        "scenarios": {s.name: s.to_dict() for s in scenarios},
        "summary": aggregate(records, controllers, scenarios),
        "episodes": [{k: v for k, v in r.items() if k not in ("trace", "contacts", "traceback")} for r in records],
        "failures": [{k: r.get(k) for k in ("controller", "scenario", "episode", "error", "traceback")}
                     for r in records if r["status"] == "failed"],
    }


def write_report(out: Path, results: dict, records: Sequence[dict]) -> list[Path]:
    """Write results.json, results.md, the plots, the leaderboard files (with statistics) and report.html into
    ``out``; remove an earlier report's plots, rollouts and leaderboards that this one did not write; return the
    paths written."""
    from train.bench import html, leaderboard

    out.mkdir(parents=True, exist_ok=True)
    written = [write_json(out / "results.json", results),
               write_text(out / "results.md", markdown_table(results) + statistics_markdown(results))]
    written += _write_plots(out, results, records)
    if results.get("statistics") is not None:
        written += _write_statistics_plots(out, results["statistics"])
        written += leaderboard.write_leaderboards(out, results)
    written.append(html.write_html(out / "report.html", results, [p for p in written if p.suffix == ".png"]))
    _remove_stale(out, written, records)
    return written


def _write_statistics_plots(out: Path, stats: dict) -> list[Path]:
    from train import plots

    written = []
    if stats.get("performance_profile"):
        written.append(plots.performance_profile(stats["performance_profile"], out / "performance_profile.png"))
    if stats.get("learning_curves"):
        written.append(plots.learning_curves(stats["learning_curves"], out / "learning_curves.png"))
    return written


def _remove_stale(out: Path, written: Sequence[Path], records: Sequence[dict]) -> None:
    keep = {Path(p).resolve() for p in written}
    keep |= {Path(r["rollout_file"]).resolve() for r in records if r.get("rollout_file")}
    for name in PLOTS:
        if (out / name).resolve() not in keep:
            (out / name).unlink(missing_ok=True)
    boards = out / "leaderboard"
    if boards.is_dir():
        for path in boards.glob("*.json"):
            if path.resolve() not in keep:
                path.unlink()
        if not any(boards.iterdir()):
            boards.rmdir()
    rollouts = out / ROLLOUT_DIR
    if rollouts.is_dir():
        for path in rollouts.glob("*__ep*.npz"):
            if path.resolve() not in keep:
                path.unlink()
        if not any(rollouts.iterdir()):
            rollouts.rmdir()


def _write_plots(out: Path, results: dict, records: Sequence[dict]) -> list[Path]:
    from train import plots

    written: list[Path] = []
    ok = [r for r in records if r["status"] == "ok"]
    if not ok:
        return written
    first_scenario = next(iter(results["summary"]))
    panels, traces = [], []
    for controller in results["controllers"]:
        mine = [r for r in ok if r["controller"] == controller]
        if not mine:
            continue
        pick = next((r for r in mine if r["scenario"] == first_scenario), mine[0])
        contacts = SimpleNamespace(time_s=np.array(pick["contacts"]["time_s"]),
                                   foot_contacts=np.array(pick["contacts"]["contacts"], dtype=bool))
        panels.append((f"{controller} ({pick['scenario']}, episode {pick['episode']}; measured: "
                       f"{pick['metrics']['gait']})", contacts))
        trace = pick["trace"]
        traces.append((f"{controller} ({pick['scenario']})", np.array(trace["time_s"]),
                       np.array(trace["forward_speed_mps"]), np.array(trace["command_mps"])))
    written.append(plots.footfall_diagram(panels, out / "footfall.png"))
    written.append(plots.speed_trace(traces, out / "speed_vs_command.png"))
    points = [(r["controller"], r["metrics"]["mean_forward_speed_mps"], r["metrics"]["cost_of_transport"]) for r in ok]
    written.append(plots.cost_of_transport_vs_speed(points, out / "cot_vs_speed.png"))
    return written
