"""The benchmark's one page to look at: ``report.html``, self-contained (images inlined as base64, inline CSS, no
script and nothing fetched), so it can be mailed to a colleague and opened anywhere."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path

from train.atomic import write_text

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: right; }
th:nth-child(-n+2), td:nth-child(-n+2) { text-align: left; }
th { background: #f2f2f2; }
code, pre { background: #f6f6f6; padding: 0.1em 0.3em; }
pre { padding: 0.6em; overflow-x: auto; }
figure { margin: 1em 0; } img { max-width: 100%; }
"""

#: Figure captions, by file name.
CAPTIONS = {
    "performance_profile.png": "Performance profile: fraction of episodes (runs × episodes × scenarios) whose "
                               "tracking error is at or below each threshold, with its 95% interval.",
    "learning_curves.png": "Learning curves: IQM over training seeds of each run's evaluations (eval.csv), with "
                           "the 95% interval band.",
    "footfall.png": "Footfall diagrams (measured foot contacts, last 3 s of one episode per controller).",
    "speed_vs_command.png": "Forward speed against the command (dashed), one episode per controller.",
    "cot_vs_speed.png": "Mechanical cost of transport against speed, every episode.",
}


def _table(rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _image(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    caption = CAPTIONS.get(path.name, path.name)
    return (f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _episode_rows(results: dict) -> list[list[str]]:
    from train.bench.tables import _fmt

    rows = [["scenario", "controller", "ok/episodes", "falls", "speed (m/s)", "tracking error xy (m/s)",
             "yaw-rate error (rad/s)", "path error (m)", "CoT", "duty factor", "measured gait"]]
    for scenario, by_controller in results["summary"].items():
        for controller, cell in by_controller.items():
            m = cell["metrics"]
            gaits = ", ".join(f"{g} ×{n}" for g, n in sorted(cell["gait_classes"].items())) or "–"
            rows.append([scenario, controller, f"{cell['succeeded']}/{cell['episodes']}", str(cell["falls"]),
                         _fmt(m["mean_forward_speed_mps"]), _fmt(m["tracking_error_xy_mps"]),
                         _fmt(m["tracking_error_yaw_radps"]), _fmt(m["path_error_m"]), _fmt(m["cost_of_transport"]),
                         _fmt(m["duty_factor_mean"]), gaits])
    return rows


def render(results: dict, images: Sequence[Path]) -> str:
    """The page's HTML text."""
    from train.bench import tables as report

    e = html.escape
    stats = results.get("statistics")
    parts = [f"<h1>quadgait gait benchmark, suite v{e(str(results['suite_version']))}</h1>",
             "<p>" + e(f"robot {results['robot']}, {results['episodes_per_cell']} episode(s) per cell, "
                       f"{results['episodes_finished']} of {results['episodes_planned']} episodes ran "
                       f"({results['executor']}, {results['wall_clock_s']:.0f} s), created {results['created_utc']}")
             + (", <strong>interrupted: partial report</strong>" if results.get("interrupted") else "") + "</p>"]
    if stats is not None:
        boot = stats["bootstrap"]
        parts += ["<h2>Aggregates</h2>",
                  "<p>" + e(f"Interquartile mean [95% stratified-bootstrap interval, {boot['reps']} resamples, "
                            f"seed {boot['seed']}] over training seeds × episodes; a single run's interval is over "
                            f"its episodes. Commit {stats['git_commit']}.") + "</p>",
                  _table(report.statistics_rows(results))]
        lines = report.improvement_lines(results)
        if lines:
            parts += ["<h3>Probability of improvement</h3><ul>"]
            parts += [f"<li>{e(line)}</li>" for line in lines]
            parts += ["</ul>"]
    parts += ["<h2>Every controller and scenario</h2>",
              "<p>Mean ± standard deviation over the successful episodes.</p>", _table(_episode_rows(results))]
    if results.get("sim_to_sim"):
        from train.bench import sim_to_sim

        parts += ["<h2>Sim-to-sim</h2>", "<pre>" + e(sim_to_sim.markdown(results["sim_to_sim"]["rows"],
                                                                       results["sim_to_sim"]["skipped"])) + "</pre>"]
    if results["failures"]:
        parts += ["<h3>Failed cells</h3><ul>"]
        parts += [f"<li>{e(f['controller'])} / {e(f['scenario'])} / episode {f['episode']}: {e(str(f['error']))}"
                  "</li>" for f in results["failures"]]
        parts += ["</ul>"]
    if images:
        parts += ["<h2>Figures</h2>", *(_image(Path(p)) for p in images)]
    commands = [results["command_line"], *(stats or {}).get("sweep_commands", [])]
    parts += ["<h2>Commands</h2>", "<p>This report:</p>", f"<pre>{e(commands[0])}</pre>"]
    if len(commands) > 1:
        parts += ["<p>The sweeps it aggregates:</p>", "<pre>" + e("\n".join(commands[1:])) + "</pre>"]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>quadgait benchmark, suite v{e(str(results['suite_version']))}</title>"
            # No favicon request: a file:// page would log a failed fetch of /favicon.ico.
            f'<link rel="icon" href="data:,"><style>{CSS}</style></head><body>'
            + "\n".join(parts) + "</body></html>\n")


def write_html(path: Path, results: dict, images: Sequence[Path]) -> Path:
    return write_text(path, render(results, images))
