"""Figures from recorded rollouts (matplotlib, headless Agg backend). Files are written atomically."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from envs.gait_analysis import footfall_segments  # noqa: E402
from envs.metrics import Rollout  # noqa: E402
from envs.robots.description import LEG_NAMES  # noqa: E402
from train.atomic import atomic_path  # noqa: E402


def footfall_diagram(rollouts: Sequence[tuple[str, Rollout]], path: str | os.PathLike, window_s: float = 3.0) -> Path:
    """Hildebrand footfall diagram: one panel per rollout, a bar per foot while it is in contact.

    Shows the last ``window_s`` seconds of each rollout (the steady state, after the start-up ramp). Anything with
    ``time_s`` (T,) and ``foot_contacts`` (T, 4) works in place of a :class:`Rollout`.
    """
    fig, axes = plt.subplots(len(rollouts), 1, figsize=(8, 1.4 + 1.1 * len(rollouts)), squeeze=False)
    for ax, (label, rollout) in zip(axes[:, 0], rollouts, strict=True):
        t_end = float(rollout.time_s[-1])
        t_start = max(float(rollout.time_s[0]), t_end - window_s)
        segments = footfall_segments(rollout.foot_contacts, rollout.time_s)
        for row in range(len(LEG_NAMES)):
            bars = [(max(s, t_start), min(e, t_end) - max(s, t_start)) for s, e in segments[row]
                    if e > t_start and s < t_end]
            ax.broken_barh(bars, (row - 0.35, 0.7), color="0.15")
        ax.set_yticks(range(4), LEG_NAMES)
        ax.invert_yaxis()
        ax.set_xlim(t_start, t_end)
        ax.set_title(label, fontsize=10, loc="left")
    axes[-1, 0].set_xlabel("time (s); bars = foot in contact")
    fig.tight_layout()
    return _save(fig, path)


def speed_trace(traces: Sequence[tuple[str, np.ndarray, np.ndarray, np.ndarray]], path: str | os.PathLike) -> Path:
    """Forward speed (body frame) against time, per (label, time_s, speed_mps, commanded speed_mps over time, as
    the env commanded it); the command is dashed."""
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for label, time_s, speed, command in traces:
        line, = ax.plot(time_s, speed, label=label, lw=1)
        ax.plot(time_s, np.broadcast_to(command, np.shape(time_s)), ls="--", color=line.get_color(), lw=0.8)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("forward speed (m/s)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def cost_of_transport_vs_speed(points: Sequence[tuple[str, float, float]], path: str | os.PathLike) -> Path:
    """Scatter of (label, mean speed m/s, cost of transport), one colour per label."""
    fig, ax = plt.subplots(figsize=(6, 4))
    labels = sorted({p[0] for p in points})
    for label in labels:
        xs = [p[1] for p in points if p[0] == label and np.isfinite(p[2])]
        ys = [p[2] for p in points if p[0] == label and np.isfinite(p[2])]
        ax.scatter(xs, ys, label=label, s=18)
    ax.set_xlabel("mean forward speed (m/s)")
    ax.set_ylabel("mechanical cost of transport")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def performance_profile(profile: dict, path: str | os.PathLike) -> Path:
    """Score distributions of :func:`train.bench.stats.performance_profiles`: per controller, the fraction of its
    scores at or better than each threshold, with the 95% interval shaded."""
    fig, ax = plt.subplots(figsize=(7, 4))
    taus = np.array(profile["taus"])
    for label, curve in profile["profiles"].items():
        line, = ax.plot(taus, curve["fraction"], label=label, lw=1.5)
        ax.fill_between(taus, curve["low"], curve["high"], color=line.get_color(), alpha=0.2, lw=0)
    better = "at or below" if profile["lower_is_better"] else "at or above"
    ax.set_xlabel(f"threshold τ of {profile['metric']}")
    ax.set_ylabel(f"fraction of episodes {better} τ")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("performance profile (runs × episodes × scenarios; 95% stratified-bootstrap band)", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def learning_curves(curves: dict[str, dict[str, dict]], path: str | os.PathLike) -> Path:
    """Per ``eval.csv`` column, per controller: the IQM over training seeds against env steps with its 95% band
    (:func:`train.bench.stats.learning_curve`)."""
    columns = sorted({c for by_column in curves.values() for c in by_column})
    fig, axes = plt.subplots(1, len(columns), figsize=(5.5 * len(columns), 3.8), squeeze=False)
    for ax, column in zip(axes[0], columns, strict=True):
        for label, by_column in curves.items():
            if column not in by_column:
                continue
            curve = by_column[column]
            line, = ax.plot(curve["step"], curve["iqm"], label=label, lw=1.5, marker="o", ms=3)  # one eval: a dot
            ax.fill_between(curve["step"], curve["low"], curve["high"], color=line.get_color(), alpha=0.2, lw=0)
        ax.set_xlabel("env steps")
        ax.set_ylabel(column)
        ax.legend(fontsize=8)
    fig.suptitle("learning curves: IQM over training seeds, 95% stratified-bootstrap band (eval.csv)", fontsize=9)
    fig.tight_layout()
    return _save(fig, path)


def _save(fig, path: str | os.PathLike) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format=path.suffix.lstrip(".") or "png")
    plt.close(fig)
    return path
