"""Aggregate benchmark statistics over training seeds × episodes with ``rliable`` (Agarwal et al. 2021, "Deep RL
at the Edge of the Statistical Precipice"): interquartile mean (IQM), 95% stratified-bootstrap confidence
intervals, probability of improvement and performance profiles.

A *group* is one controller as a reader of the table sees it: a sweep setting's runs (one per training seed), or
one built-in or single trained controller. Per cell (group × scenario) the scores form rliable's
``(num_runs, num_tasks)`` matrix:

* several runs: rows are the runs (training seeds), columns the scenario's episodes. Every run plays the same
  episode seeds, so the episodes are the strata: the bootstrap resamples runs within each episode, as rliable
  resamples runs within each task;
* one run (a scripted or model-based gait, or one policy): rows are its episodes (each a different reset seed, so
  different initial noise, pushes and randomization), one column. The interval is then over episodes.

A run with a missing value in a cell (failed episode, metric undefined) is left out of that cell (``n_runs`` says how
many were used). The bootstrap draws from a seeded NumPy ``Generator`` (rliable's own classes draw from NumPy's
global random state, which :class:`_SeededStratified` replaces), so the same results give the same intervals.

Needs the optional extra: ``pip install 'quadgait[stats]'``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

#: The metrics given an IQM and an interval per cell, and whether lower is better (None: neither, e.g. speed).
INTERVAL_METRICS: Mapping[str, bool | None] = {
    "mean_forward_speed_mps": None,
    "tracking_error_xy_mps": True,
    "tracking_error_yaw_radps": True,
    "path_error_m": True,
    "cost_of_transport": True,
}
#: The score of the probability of improvement and the performance profile (lower is better).
PRIMARY_METRIC = "tracking_error_xy_mps"
CONFIDENCE = 0.95
DEFAULT_REPS = 2000


def available() -> bool:
    """Whether rliable (the ``stats`` extra) is installed."""
    try:
        import rliable  # noqa: F401
    except ImportError:
        return False
    return True


def _require():
    try:
        from rliable import library, metrics
    except ImportError:
        raise RuntimeError("aggregate statistics need the optional extra: pip install 'quadgait[stats]'") from None
    return library, metrics


def _seeded_classes():
    library, _ = _require()

    class SeededStratified(library.StratifiedBootstrap):
        """rliable's stratified bootstrap, drawing run indices from this bootstrap's seeded generator."""

        def update_indices(self):
            indices = self.generator.integers(0, self._num_items, self._args_shape)
            return (indices, *self._strata_indices)

    class SeededStratifiedIndependent(library.StratifiedIndependentBootstrap):
        """rliable's independent stratified bootstrap (two score matrices), seeded likewise."""

        def _get_indices(self, num_runs, array_shape, strata_indices):
            return (self.generator.integers(0, num_runs, array_shape), *strata_indices)

    return SeededStratified, SeededStratifiedIndependent


def iqm_interval(scores: np.ndarray, reps: int = DEFAULT_REPS, seed: int = 0) -> dict[str, Any]:
    """IQM of a ``(num_runs, num_tasks)`` score matrix and its 95% stratified-bootstrap interval.

    Returns:
        ``{"iqm", "ci": [low, high], "n"}`` (``n``: the number of scores).
    """
    _, metrics = _require()
    scores = np.asarray(scores, dtype=float)
    point = float(metrics.aggregate_iqm(scores))
    if scores.shape[0] < 2:
        return {"iqm": point, "ci": [point, point], "n": int(scores.size)}
    low, high = np.percentile(bootstrap_iqms(scores, reps, seed), [50 * (1 - CONFIDENCE), 50 * (1 + CONFIDENCE)])
    return {"iqm": point, "ci": [float(low), float(high)], "n": int(scores.size)}


def bootstrap_iqms(scores: np.ndarray, reps: int, seed: int) -> np.ndarray:
    """The IQMs of ``reps`` stratified resamples of ``scores`` (num_runs, num_tasks), all at once.

    The same resamples, drawn from the same stream, as rliable's ``StratifiedBootstrap`` with a seeded generator
    (:class:`_seeded_classes`; tests/train/test_stats.py checks they agree), but vectorised: rliable evaluates one
    resample per Python call, about a second per interval here, which a suite of cells multiplies.
    """
    from scipy.stats import trim_mean

    return trim_mean(stratified_resamples(scores, reps, seed).reshape(reps, -1), 0.25, axis=1)


def stratified_resamples(scores: np.ndarray, reps: int, seed: int) -> np.ndarray:
    """``(reps, num_runs, num_tasks)``: each resample draws runs with replacement within each task (column)."""
    runs, tasks = scores.shape
    rows = np.random.default_rng(seed).integers(0, runs, (reps, runs, tasks))
    return scores[rows, np.arange(tasks)[None, None, :]]


def _improvement(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """P(X > Y) + P(X = Y) / 2 per resample, averaged over tasks, for ``x`` (R, n_x, T) and ``y`` (R, n_y, T):
    the Mann-Whitney U over n_x * n_y that rliable's ``probability_of_improvement`` computes."""
    greater = (x[:, :, None, :] > y[:, None, :, :]).mean(axis=(1, 2))
    ties = (x[:, :, None, :] == y[:, None, :, :]).mean(axis=(1, 2))
    return (greater + 0.5 * ties).mean(axis=1)


def cell_matrix(records: Sequence[dict], members: Sequence[str], scenario: str, metric: str) -> np.ndarray | None:
    """The cell's score matrix (see the module docstring), or None when it has no complete row."""
    def value(record: dict) -> float:
        return float(record["metrics"][metric]) if record.get("status") == "ok" else np.nan

    by_run = {m: {} for m in members}
    for r in records:
        if r["scenario"] == scenario and r["controller"] in by_run:
            by_run[r["controller"]][r["episode"]] = value(r)
    episodes = sorted({e for run in by_run.values() for e in run})
    if not episodes:
        return None
    rows = np.array([[by_run[m].get(e, np.nan) for e in episodes] for m in members], dtype=float)
    if len(members) == 1:
        column = rows[0][np.isfinite(rows[0])]
        return column[:, None] if column.size else None
    rows = rows[np.isfinite(rows).all(axis=1)]
    return rows if len(rows) else None


def cell_statistics(records: Sequence[dict], groups: Mapping[str, Sequence[str]], scenarios: Sequence[str],
                    reps: int = DEFAULT_REPS, seed: int = 0) -> dict[str, dict[str, dict[str, Any]]]:
    """Per scenario, per group, per metric of :data:`INTERVAL_METRICS`: ``{"iqm", "ci", "n", "n_runs",
    "n_episodes", "lower_is_better"}`` (a cell without data is left out)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for scenario in scenarios:
        out[scenario] = {}
        for group, members in groups.items():
            cell = {}
            for metric, lower in INTERVAL_METRICS.items():
                matrix = cell_matrix(records, members, scenario, metric)
                if matrix is None:
                    continue
                stat = iqm_interval(matrix, reps, seed)
                runs, episodes = (1, matrix.shape[0]) if len(members) == 1 else matrix.shape
                cell[metric] = {**stat, "n_runs": int(runs), "n_episodes": int(episodes), "lower_is_better": lower}
            if cell:
                out[scenario][group] = cell
    return out


def _task_matrix(records: Sequence[dict], members: Sequence[str], scenarios: Sequence[str],
                 metric: str) -> tuple[np.ndarray, list[str]] | None:
    """Every score of ``members`` per scenario, as ``(num_samples, num_scenarios)`` (samples: runs × episodes),
    over the scenarios where all have the most common sample count."""
    columns = {}
    for scenario in scenarios:
        values = np.array([float(r["metrics"][metric]) for r in records if r["scenario"] == scenario
                           and r["controller"] in members and r.get("status") == "ok"], dtype=float)
        values = values[np.isfinite(values)]
        if values.size:
            columns[scenario] = values
    if not columns:
        return None
    sizes = [v.size for v in columns.values()]
    size = max(set(sizes), key=sizes.count)
    kept = [s for s, v in columns.items() if v.size == size]
    return np.stack([columns[s] for s in kept], axis=1), kept


def probability_of_improvement(records: Sequence[dict], groups: Mapping[str, Sequence[str]], a: str, b: str,
                               scenarios: Sequence[str], metric: str = PRIMARY_METRIC, reps: int = DEFAULT_REPS,
                               seed: int = 0) -> dict[str, Any] | None:
    """P(a scores better than b) on ``metric``, averaged over the scenarios both ran, with its 95% interval
    (rliable's Mann-Whitney estimate; lower is better for error metrics). None without a common scenario."""
    _, metrics = _require()
    ta, tb = _task_matrix(records, groups[a], scenarios, metric), _task_matrix(records, groups[b], scenarios, metric)
    if ta is None or tb is None:
        return None
    common = [s for s in ta[1] if s in tb[1]]
    if not common:
        return None
    sign = -1.0 if INTERVAL_METRICS.get(metric) else 1.0
    x = sign * ta[0][:, [ta[1].index(s) for s in common]]
    y = sign * tb[0][:, [tb[1].index(s) for s in common]]
    point = float(metrics.probability_of_improvement(x, y))
    # The resamples of rliable's StratifiedIndependentBootstrap (x's rows, then y's, per resample), computed at once.
    generator, tasks = np.random.default_rng(seed), np.arange(x.shape[1])
    picks = [(generator.integers(0, len(x), x.shape), generator.integers(0, len(y), y.shape)) for _ in range(reps)]
    values = _improvement(np.stack([x[i, tasks] for i, _ in picks]), np.stack([y[j, tasks] for _, j in picks]))
    low, high = np.percentile(values, [50 * (1 - CONFIDENCE), 50 * (1 + CONFIDENCE)])
    return {"a": a, "b": b, "metric": metric, "probability": point, "ci": [float(low), float(high)],
            "scenarios": common}


def performance_profiles(records: Sequence[dict], groups: Mapping[str, Sequence[str]], scenarios: Sequence[str],
                         metric: str = PRIMARY_METRIC, points: int = 41, reps: int = DEFAULT_REPS,
                         seed: int = 0) -> dict[str, Any] | None:
    """Score distributions: per group, the fraction of its (run, episode, scenario) scores at or better than each
    threshold τ, with 95% intervals (rliable's ``score_distributions`` under our seeded stratified bootstrap)."""
    library, _ = _require()

    matrices = {g: m for g in groups if (m := _task_matrix(records, groups[g], scenarios, metric)) is not None}
    if not matrices:
        return None
    everything = np.concatenate([m[0].ravel() for m in matrices.values()])
    taus = np.linspace(everything.min(), everything.max(), points)
    sign = -1.0 if INTERVAL_METRICS.get(metric) else 1.0  # "at or better": below τ for an error metric

    def profile(scores: np.ndarray) -> np.ndarray:
        return library.score_distributions(scores, sign * taus - 1e-12)

    out = {"metric": metric, "taus": taus.tolist(), "lower_is_better": bool(INTERVAL_METRICS.get(metric)),
           "profiles": {}}
    for group, (matrix, _) in matrices.items():
        scores = sign * matrix
        point = profile(scores)
        if scores.shape[0] > 1:
            resampled = stratified_resamples(scores, reps, seed).reshape(reps, -1)
            fractions = (resampled[:, :, None] > (sign * taus - 1e-12)[None, None, :]).mean(axis=1)
            ci = np.percentile(fractions, [50 * (1 - CONFIDENCE), 50 * (1 + CONFIDENCE)], axis=0)
        else:
            ci = np.stack([point, point])
        out["profiles"][group] = {"fraction": point.tolist(), "low": ci[0].tolist(), "high": ci[1].tolist()}
    return out


def learning_curve(rows_per_run: Sequence[Sequence[dict]], column: str, reps: int = 500,
                   seed: int = 0) -> dict[str, list[float]] | None:
    """IQM over runs of an ``eval.csv`` column at every step all runs evaluated, with a 95% interval band."""
    steps = sorted(set.intersection(*[{r["step"] for r in rows} for rows in rows_per_run])) if rows_per_run else []
    if not steps:
        return None
    values = np.array([[next(r[column] for r in rows if r["step"] == s) for s in steps] for rows in rows_per_run])
    out: dict[str, list[float]] = {"step": [float(s) for s in steps], "iqm": [], "low": [], "high": []}
    for k in range(len(steps)):
        column_values = values[:, k][np.isfinite(values[:, k])]
        if not column_values.size:
            stat = {"iqm": np.nan, "ci": [np.nan, np.nan]}
        else:
            stat = iqm_interval(column_values[:, None], reps, seed)
        out["iqm"].append(stat["iqm"])
        out["low"].append(stat["ci"][0])
        out["high"].append(stat["ci"][1])
    return out


def summarize(records: Sequence[dict], groups: Mapping[str, Sequence[str]], scenarios: Sequence[str],
              eval_rows: Mapping[str, Sequence[Sequence[dict]]] | None = None, reps: int = DEFAULT_REPS,
              seed: int = 0) -> dict[str, Any]:
    """Everything the report and the leaderboards show: per-cell intervals, the probability of improvement for
    every pair of groups, the performance profiles, and learning curves of the groups with ``eval.csv`` rows
    (``eval_rows``: group -> one list of rows per run)."""
    names = list(groups)
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    curves = {}
    for group, runs in (eval_rows or {}).items():
        if runs:
            curves[group] = {c: lc for c in ("mean_speed_mps", "tracking_error_xy_mps")
                             if (lc := learning_curve(runs, c, min(reps, 500), seed)) is not None}
    return {
        "groups": {g: list(m) for g, m in groups.items()},
        "bootstrap": {"reps": reps, "confidence": CONFIDENCE, "seed": seed, "method": "stratified, percentile"},
        "cells": cell_statistics(records, groups, scenarios, reps, seed),
        "probability_of_improvement": [p for a, b in pairs
                                       if (p := probability_of_improvement(records, groups, a, b, scenarios,
                                                                           reps=reps, seed=seed)) is not None],
        "performance_profile": performance_profiles(records, groups, scenarios, reps=reps, seed=seed),
        "learning_curves": curves,
    }
