"""The benchmark's tables as text: the per-cell markdown table and the statistics rows and lines, shared by
``results.md`` (:mod:`train.bench.report`) and ``report.html`` (:mod:`train.bench.html`)."""

from __future__ import annotations

import math


def _fmt(stat: dict, digits: int = 2) -> str:
    if stat["n"] == 0 or not math.isfinite(stat["mean"]):
        return "–"
    return f"{stat['mean']:.{digits}f} ± {stat['std']:.{digits}f}"


def markdown_table(results: dict) -> str:
    lines = [f"Gait benchmark, suite v{results['suite_version']}, robot {results['robot']}, "
             f"{results['episodes_per_cell']} episode(s) per cell; mean ± std over successful episodes.", "",
             "| robot | scenario | controller | ok/episodes | falls | speed (m/s) | Froude number | "
             "tracking error xy (m/s) | yaw-rate error (rad/s) | path error (m) | CoT | duty factor | "
             "aerial fraction | stride freq (Hz) | heading drift (deg) | measured gait |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    flagged = False
    for scenario, by_controller in results["summary"].items():
        for controller, cell in by_controller.items():
            m = cell["metrics"]
            if cell.get("outside_training_range") and not cell["succeeded"] and not cell["failed"]:
                lines.append(f"| {results['robot']} | {scenario} | {controller} | 0/{cell['episodes']} | – | "
                             f"outside the policy's training range ({cell['command_range']}): not run |"
                             + " |" * 11)
                continue
            if cell.get("ran_outside_training_range"):
                controller, flagged = f"{controller} †", True
            gaits = ", ".join(f"{g} ×{n}" for g, n in sorted(cell["gait_classes"].items())) or "–"
            lines.append(
                f"| {results['robot']} | {scenario} | {controller} | {cell['succeeded']}/{cell['episodes']} | "
                f"{cell['falls']} | {_fmt(m['mean_forward_speed_mps'])} | {_fmt(m['froude_number'], 3)} | "
                f"{_fmt(m['tracking_error_xy_mps'])} | "
                f"{_fmt(m['tracking_error_yaw_radps'])} | {_fmt(m['path_error_m'])} | {_fmt(m['cost_of_transport'])} | "
                f"{_fmt(m['duty_factor_mean'])} | {_fmt(m['aerial_fraction'], 3)} | "
                f"{_fmt(m['stride_frequency_hz'])} | {_fmt(m['heading_drift_deg'], 1)} | {gaits} |")
    if flagged:
        lines += ["", "† the scenario's command lies outside the policy's training range (run with "
                  "`--outside-range run`): not a like-for-like result."]
    if results.get("interrupted"):
        lines += ["", f"**Interrupted (Ctrl-C): partial report, {results['episodes_finished']} of "
                  f"{results['episodes_planned']} episodes ran.**"]
    if results.get("sim_to_sim"):
        from train.bench import sim_to_sim

        lines += ["", sim_to_sim.markdown(results["sim_to_sim"]["rows"], results["sim_to_sim"]["skipped"]).rstrip()]
    if results["failures"]:
        lines += ["", "Failed cells:", ""]
        lines += [f"- {f['controller']} / {f['scenario']} / episode {f['episode']}: {f['error']}"
                  for f in results["failures"]]
    return "\n".join(lines) + "\n"


#: Columns of the statistics table: metric, heading, digits.
STAT_COLUMNS = (("mean_forward_speed_mps", "speed (m/s)", 3), ("tracking_error_xy_mps", "tracking error xy (m/s)", 3),
                ("tracking_error_yaw_radps", "yaw-rate error (rad/s)", 3), ("path_error_m", "path error (m)", 3),
                ("cost_of_transport", "CoT", 2))


def _interval(stat: dict | None, digits: int) -> str:
    if stat is None:
        return "–"
    return f"{stat['iqm']:.{digits}f} [{stat['ci'][0]:.{digits}f}, {stat['ci'][1]:.{digits}f}]"


def statistics_rows(results: dict) -> list[list[str]]:
    """The statistics table as rows of text (header first): per scenario and controller, runs × episodes and the
    IQM [95% interval] of each metric in :data:`STAT_COLUMNS`."""
    rows = [["scenario", "controller", "runs × episodes", *(h for _, h, _ in STAT_COLUMNS)]]
    for scenario, by_group in results["statistics"]["cells"].items():
        for group, cell in by_group.items():
            any_stat = next(iter(cell.values()))
            rows.append([scenario, group, f"{any_stat['n_runs']} × {any_stat['n_episodes']}",
                         *(_interval(cell.get(m), d) for m, _, d in STAT_COLUMNS)])
    return rows


def improvement_lines(results: dict) -> list[str]:
    return [f"P({p['a']} better than {p['b']} on {p['metric']}) = {p['probability']:.2f} "
            f"[{p['ci'][0]:.2f}, {p['ci'][1]:.2f}] over {len(p['scenarios'])} scenario(s)"
            for p in results["statistics"]["probability_of_improvement"]]


def statistics_markdown(results: dict) -> str:
    stats = results.get("statistics")
    if stats is None:
        return ""
    rows = statistics_rows(results)
    boot = stats["bootstrap"]
    lines = ["", f"Aggregates: interquartile mean [95% stratified-bootstrap interval, {boot['reps']} resamples] over "
             "training seeds × episodes (one run: over episodes).", "",
             "| " + " | ".join(rows[0]) + " |", "|---|---|---:|" + "---:|" * len(STAT_COLUMNS)]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    improvement = improvement_lines(results)
    if improvement:
        lines += ["", "Probability of improvement (lower tracking error is better):", ""]
        lines += [f"- {line}" for line in improvement]
    return "\n".join(lines) + "\n"
