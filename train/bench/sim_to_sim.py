"""The benchmark's sim-to-sim table: the same controllers, unchanged, in PyBullet and in its MuJoCo twin.

``quadgait bench --engine pybullet --engine mujoco`` runs every scenario once per engine: PyBullet keeps the
scenario's name, another engine runs it as ``NAME@ENGINE`` (its ``env_settings`` say ``engine=...``), so every cell
of the ordinary report stays what it was. :func:`compare` then puts each cell's metrics side by side with the gap,
and flags a controller that stays up in PyBullet but falls (or fails) in the other engine, one that falls only in
PyBullet, or one whose distance moves by more than :data:`DISTANCE_BAND`. Scenarios an engine cannot run (MuJoCo:
flat ground only) are skipped with the reason, never run in a silently different world.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Sequence
from typing import Any

from train.bench.scenarios import Scenario

#: Distance over a scenario within this fraction of PyBullet's counts as agreeing (issue 21's parity target).
DISTANCE_BAND = 0.15
#: Metrics compared in the table (results.json's ``sim_to_sim`` holds every aggregated metric).
#: (metric, column, digits, gap shown relative to PyBullet's value; else as a difference: heading drift is near 0).
TABLE_METRICS = (("distance_m", "distance (m)", 2, True), ("mean_forward_speed_mps", "speed (m/s)", 3, True),
                 ("duty_factor_mean", "duty factor", 2, True), ("cost_of_transport", "CoT", 2, True),
                 ("tracking_error_xy_mps", "tracking error xy (m/s)", 3, True),
                 ("path_error_m", "path error (m)", 2, True),
                 ("heading_drift_deg", "heading drift (deg)", 1, False))
REFERENCE = "pybullet"


def engine_scenarios(scenarios: Sequence[Scenario], engines: Sequence[str]) -> tuple[list[Scenario], list[str]]:
    """Each scenario once per engine (see the module docstring), and the ``"SCENARIO@ENGINE: reason"`` lines of
    the combinations an engine cannot run."""
    from envs.config import EnvSettings

    out: list[Scenario] = []
    skipped: list[str] = []
    for scenario in scenarios:
        for engine in engines:
            if engine == REFERENCE and "engine" not in scenario.env_settings:
                out.append(scenario)
                continue
            settings = {**scenario.env_settings, "engine": engine}
            name = f"{scenario.name}@{engine}"
            try:
                EnvSettings(**settings)
            except ValueError as exc:
                skipped.append(f"{name}: {exc}")
                continue
            out.append(dataclasses.replace(scenario, name=name, env_settings=settings))
    return out, skipped


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)  # results.json writes NaN as null


def _split(name: str) -> tuple[str, str]:
    base, _, engine = name.partition("@")
    return base, engine or REFERENCE


def compare(summary: dict[str, dict[str, Any]], courses: Collection[str] = ()) -> list[dict[str, Any]]:
    """Per scenario × controller × engine other than PyBullet: falls, each aggregated metric in both engines and
    the gap (other − PyBullet; ``rel_gap`` divides it by |PyBullet's|), and the ``flags``.

    ``summary`` is :func:`train.bench.report.aggregate`'s (scenario name -> controller -> cell). ``courses``: names
    of scenarios that are command courses, whose distance (start to end of a loop) is not compared."""
    rows = []
    for name, by_controller in summary.items():
        base, engine = _split(name)
        if engine == REFERENCE or base not in summary:
            continue
        for controller, twin in by_controller.items():
            ref = summary[base].get(controller)
            if ref is None:
                continue
            metrics = {}
            for metric, stat in twin["metrics"].items():
                a, b = _number(ref["metrics"][metric]["mean"]), _number(stat["mean"])
                gap = b - a if math.isfinite(a) and math.isfinite(b) else math.nan
                rel = gap / abs(a) if math.isfinite(gap) and a != 0 else math.nan
                metrics[metric] = {REFERENCE: a, engine: b, "gap": gap, "rel_gap": rel}
            flags = []
            if ref["succeeded"] and not ref["falls"] and twin["falls"]:
                flags.append(f"falls in {engine} only")
            if twin["succeeded"] and not twin["falls"] and ref["falls"]:
                flags.append(f"falls in {REFERENCE} only")
            if ref["succeeded"] and twin["failed"]:
                flags.append(f"failed in {engine}")
            if ref["failed"] and not ref["succeeded"] and twin["failed"] and not twin["succeeded"]:
                flags.append("failed in both (see the failed cells)")
            distance_gap = metrics["distance_m"]["rel_gap"]
            if base not in courses and math.isfinite(distance_gap) and abs(distance_gap) > DISTANCE_BAND:
                flags.append(f"distance gap > {DISTANCE_BAND:.0%}")
            not_run = not ref["succeeded"] and not twin["succeeded"] and bool(ref.get("outside_training_range"))
            rows.append({"scenario": base, "controller": controller, "engine": engine, "not_run": not_run,
                         "outside_training_range": bool(ref.get("ran_outside_training_range")
                                                        or twin.get("ran_outside_training_range")),
                         "episodes": {REFERENCE: ref["succeeded"], engine: twin["succeeded"]},
                         "falls": {REFERENCE: ref["falls"], engine: twin["falls"]},
                         "metrics": metrics, "flags": flags})
    return rows


def _cell(values: dict[str, float], engine: str, digits: int, relative: bool) -> str:
    a, b = values[REFERENCE], values[engine]
    if not (math.isfinite(a) and math.isfinite(b)):
        return "–"
    if relative:
        gap = f" ({values['rel_gap']:+.0%})" if math.isfinite(values["rel_gap"]) else ""
    else:
        gap = f" ({values['gap']:+.{digits}f})"
    return f"{a:.{digits}f} / {b:.{digits}f}{gap}"


def markdown(rows: Sequence[dict[str, Any]], skipped: Sequence[str] = ()) -> str:
    """The sim-to-sim table: each metric as ``PyBullet / other (gap)``, flags last."""
    if not rows and not skipped:
        return ""
    engines = sorted({r["engine"] for r in rows}) or ["mujoco"]
    lines = [f"Sim-to-sim: each cell is pybullet / {', '.join(engines)} (relative gap; heading drift: "
             "difference), mean over successful episodes; flagged: falls in one engine only, fails in the twin, "
             f"or distance gap > {DISTANCE_BAND:.0%}.", "",
             "| scenario | controller | engine | falls | " + " | ".join(label for _, label, _, _ in TABLE_METRICS)
             + " | flags |",
             "|---|---|---|---:|" + "---:|" * len(TABLE_METRICS) + "---|"]
    dagger = False
    for r in rows:
        e = r["engine"]
        controller = r["controller"]
        if r.get("outside_training_range"):
            controller, dagger = f"{controller} †", True
        if r.get("not_run"):
            lines.append(f"| {r['scenario']} | {controller} | {e} | – | not run: outside the policy's training "
                         "range |" + " |" * len(TABLE_METRICS))
            continue
        cells = [_cell(r["metrics"][metric], e, digits, rel) for metric, _, digits, rel in TABLE_METRICS]
        flags = "**" + "; ".join(r["flags"]) + "**" if r["flags"] else ""
        lines.append(f"| {r['scenario']} | {controller} | {e} | {r['falls'][REFERENCE]} / {r['falls'][e]} | "
                     + " | ".join(cells) + f" | {flags} |")
    if dagger:
        lines += ["", "† run outside the policy's training range (`--outside-range run`)."]
    if skipped:
        lines += ["", "Not run (no counterpart in that engine):", ""] + [f"- {s}" for s in skipped]
    return "\n".join(lines) + "\n"
