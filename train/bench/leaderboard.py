"""Leaderboard files: one JSON per controller with the suite version, the commit, the settings, the seeds and every
cell's IQM with its 95% interval; and the comparison of two such files (``quadgait bench --compare A.json B.json``).

Two cells *differ beyond their intervals* when their 95% intervals do not overlap. That is a conservative test (two
overlapping intervals can still hide a real difference), chosen because it needs nothing but the two files.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from train.atomic import write_json

FORMAT = "quadgait-leaderboard/1"
LEADERBOARD_DIR = "leaderboard"


class LeaderboardError(ValueError):
    """A leaderboard file that cannot be read or compared (one line, exit code 2)."""


def git_commit() -> str:
    """The checkout's commit (``-dirty`` when it has uncommitted changes), or ``"unknown"`` (an installed wheel)."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "") if commit else "unknown"


def safe_name(group: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_.=," else "_" for ch in group).strip("_") or "controller"


def group_settings(members: Sequence[str]) -> dict[str, Any]:
    """What a group was made with: the training recipe and seeds of run folders, or the controller's name."""
    from envs.policies.loading import read_run_config

    configs = [c for m in members if Path(m).is_dir() and (c := read_run_config(Path(m))) is not None]
    if not configs:
        return {"controller": members[0] if len(members) == 1 else list(members), "training_seeds": None}
    first = configs[0]
    return {"env_id": first.get("env_id"), "algo": first.get("algo"), "timesteps": first.get("timesteps"),
            "n_envs": first.get("n_envs"), "hyperparams": first.get("hyperparams"),
            "training_seeds": [c.get("seed") for c in configs], "runs": list(members)}


def write_leaderboards(out: Path, results: Mapping[str, Any]) -> list[Path]:
    """One ``leaderboard/<controller>.json`` per group of ``results["statistics"]`` with at least one cell."""
    stats = results["statistics"]
    written = []
    for group, members in stats["groups"].items():
        cells = {scenario: by_group[group] for scenario, by_group in stats["cells"].items() if group in by_group}
        if not cells:  # nothing ran (failed, or outside a policy's training range): nothing to rank
            continue
        data = {"format": FORMAT, "controller": group, "suite_version": results["suite_version"],
                "git_commit": stats["git_commit"], "quadgait_version": stats["quadgait_version"],
                "created_utc": results["created_utc"], "command_line": results["command_line"],
                "robot": results["robot"], "episodes_per_cell": results["episodes_per_cell"],
                "settings": group_settings(members), "bootstrap": stats["bootstrap"], "cells": cells}
        written.append(write_json(out / LEADERBOARD_DIR / f"{safe_name(group)}.json", data))
    return written


def read_leaderboard(path: str | Path) -> dict[str, Any]:
    """A leaderboard file, checked. Raises :class:`LeaderboardError` naming the file and what is wrong."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LeaderboardError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise LeaderboardError(f"{str(path)!r} is not JSON ({type(exc).__name__}: {exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise LeaderboardError(f"{str(path)!r} is not a quadgait leaderboard file (expected \"format\": "
                               f"\"{FORMAT}\"; quadgait bench writes them in OUT/{LEADERBOARD_DIR}/)")
    try:
        for scenario, cell in data["cells"].items():
            for metric, stat in cell.items():
                low, high = (float(v) for v in stat["ci"])
                float(stat["iqm"])
                if not low <= high:
                    raise ValueError(f"{scenario} {metric}: interval [{low}, {high}] is upside down")
        str(data["suite_version"]), str(data["controller"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise LeaderboardError(f"{str(path)!r} is a damaged leaderboard file ({type(exc).__name__}: {exc})") from None
    return data


def compare(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """The cells of two leaderboards whose 95% intervals do not overlap.

    Raises:
        LeaderboardError: different suite versions or robots (their cells are not comparable), or no common cell.
    """
    for key in ("suite_version", "robot"):
        if a.get(key) != b.get(key):
            raise LeaderboardError(f"the files have different {key.replace('_', ' ')}s ({a['controller']}: "
                                   f"{a.get(key)}, {b['controller']}: {b.get(key)}): their cells are not comparable")
    common = [(s, m) for s in a["cells"] if s in b["cells"] for m in a["cells"][s] if m in b["cells"][s]]
    if not common:
        raise LeaderboardError(f"{a['controller']} and {b['controller']} share no scenario and metric")
    differ = []
    for scenario, metric in common:
        x, y = a["cells"][scenario][metric], b["cells"][scenario][metric]
        if x["ci"][1] < y["ci"][0] or y["ci"][1] < x["ci"][0]:
            lower = x.get("lower_is_better")
            better = None if lower is None else (a if (x["iqm"] < y["iqm"]) == lower else b)["controller"]
            differ.append({"scenario": scenario, "metric": metric, "a": x, "b": y, "better": better})
    return {"a": a["controller"], "b": b["controller"], "compared": len(common), "differ": differ}


def _stat(stat: Mapping[str, Any]) -> str:
    return f"{stat['iqm']:.3f} [{stat['ci'][0]:.3f}, {stat['ci'][1]:.3f}]"


def format_comparison(result: Mapping[str, Any]) -> str:
    lines = [f"{result['a']} vs {result['b']}: {len(result['differ'])} of {result['compared']} cells differ beyond "
             "their 95% intervals"]
    for d in result["differ"]:
        verdict = f"; better: {d['better']}" if d["better"] else ""
        lines.append(f"  {d['scenario']:<18} {d['metric']:<26} {_stat(d['a'])} vs {_stat(d['b'])}{verdict}")
    return "\n".join(lines)
