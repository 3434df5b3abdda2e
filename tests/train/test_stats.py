"""Aggregate statistics (train.bench.stats), leaderboard files and ``bench --compare``, on plain arrays and records;
and ``quadgait bench --sweep`` end to end on a tiny sweep."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("rliable")  # the optional `stats` extra

from train.bench import leaderboard, stats  # noqa: E402
from train.cli import main  # noqa: E402


def _records(groups: dict[str, tuple[int, float]], scenarios=("s1", "s2"), episodes=3, seed=0) -> list[dict]:
    """Records of groups {name: (runs, offset)}: every metric ~ N(offset, 0.1) per run and episode."""
    rng = np.random.default_rng(seed)
    out = []
    for name, (runs, offset) in groups.items():
        for run in range(runs):
            for scenario in scenarios:
                for episode in range(episodes):
                    out.append({"controller": f"{name}/{run}", "scenario": scenario, "episode": episode,
                                "status": "ok", "metrics": {m: float(offset + 0.1 * rng.normal())
                                                            for m in stats.INTERVAL_METRICS}})
    return out


def _members(groups: dict[str, tuple[int, float]]) -> dict[str, list[str]]:
    return {name: [f"{name}/{r}" for r in range(runs)] for name, (runs, _) in groups.items()}


def test_iqm_ignores_the_outer_quartiles():
    scores = np.array([[1.0], [2], [3], [4], [5], [6], [7], [1000]])
    assert stats.iqm_interval(scores, 200)["iqm"] == pytest.approx(4.5)  # mean of 3, 4, 5, 6


def test_fast_bootstrap_draws_the_same_resamples_as_rliable():
    from rliable import metrics

    scores = np.random.default_rng(1).normal(size=(5, 3))
    seeded, _ = stats._seeded_classes()
    reference = seeded(scores, seed=np.random.default_rng(7)).conf_int(
        lambda s: np.array([metrics.aggregate_iqm(s)]), reps=300, size=0.95, method="percentile")
    np.testing.assert_allclose(stats.iqm_interval(scores, 300, seed=7)["ci"], reference[:, 0], rtol=1e-12)


def test_intervals_are_seeded_and_narrow_with_more_data():
    rng = np.random.default_rng(2)
    few, many = rng.normal(size=(10, 1)), rng.normal(size=(1000, 1))
    a, b = stats.iqm_interval(few, 500, seed=3), stats.iqm_interval(few, 500, seed=3)
    assert a == b and stats.iqm_interval(few, 500, seed=4)["ci"] != a["ci"]
    width = lambda s: s["ci"][1] - s["ci"][0]  # noqa: E731
    assert width(stats.iqm_interval(many, 500)) < width(a) / 4
    assert a["ci"][0] <= a["iqm"] <= a["ci"][1]


def test_intervals_cover_the_true_value():
    rng = np.random.default_rng(5)
    covered = sum(lo <= 2.0 <= hi for lo, hi in (stats.iqm_interval(2.0 + rng.normal(size=(40, 1)), 400, k)["ci"]
                                                  for k in range(40)))
    assert covered >= 33  # nominal 38 of 40; a broken interval (too narrow, shifted) covers far fewer


def test_the_bootstrap_is_stratified_by_episode():
    # Episode 1 is always 10 higher than episode 0 (its seed holds a harder condition); runs differ by 0.01.
    # Resampling runs within each episode keeps one episode-0 and one episode-1 value per run: a narrow interval.
    runs = np.random.default_rng(0).normal(scale=0.01, size=(6, 1))
    scores = np.hstack([runs, 10 + runs])
    ci = stats.iqm_interval(scores, 500)["ci"]
    assert ci[1] - ci[0] < 0.1
    flat = stats.iqm_interval(scores.reshape(-1, 1), 500)["ci"]  # pooled without strata it would be wide
    assert flat[1] - flat[0] > 1.0


def test_cell_matrix_shapes_and_missing_runs():
    groups = {"learned": (4, 0.0), "gait": (1, 0.0)}
    records = _records(groups, episodes=3)
    members = _members(groups)
    assert stats.cell_matrix(records, members["learned"], "s1", "cost_of_transport").shape == (4, 3)
    assert stats.cell_matrix(records, members["gait"], "s1", "cost_of_transport").shape == (3, 1)
    records[0]["status"] = "failed"  # learned/0, s1, episode 0: that run drops out of the cell
    assert stats.cell_matrix(records, members["learned"], "s1", "cost_of_transport").shape == (3, 3)


def test_probability_of_improvement_knows_lower_errors_are_better():
    groups = {"good": (5, 0.1), "bad": (5, 0.5)}
    records, members = _records(groups), _members(groups)
    p = stats.probability_of_improvement(records, members, "good", "bad", ["s1", "s2"], reps=300)
    assert p["probability"] > 0.95 and p["ci"][0] > 0.5 and p["scenarios"] == ["s1", "s2"]
    reverse = stats.probability_of_improvement(records, members, "bad", "good", ["s1", "s2"], reps=300)
    assert reverse["probability"] == pytest.approx(1 - p["probability"])


def test_performance_profile_falls_from_one_to_zero():
    groups = {"good": (3, 0.1), "bad": (3, 0.5)}
    profile = stats.performance_profiles(_records(groups), _members(groups), ["s1", "s2"], reps=200)
    good, bad = (np.array(profile["profiles"][g]["fraction"]) for g in ("good", "bad"))
    assert profile["lower_is_better"] and np.all(np.diff(good) >= 0) and good[-1] == 1.0
    assert np.all(good >= bad) and bad[0] == 0.0  # at a tight error threshold only the good controller qualifies


def _board(tmp_path, name, cells, suite="2.1"):
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"format": leaderboard.FORMAT, "controller": name, "suite_version": suite,
                                "robot": "laikago_fast", "cells": cells}))
    return str(path)


def _stat(iqm, low, high, lower=True):
    return {"iqm": iqm, "ci": [low, high], "lower_is_better": lower}


def test_compare_prints_the_cells_that_differ_beyond_their_intervals(tmp_path, capsys):
    a = _board(tmp_path, "a", {"flat-0.5": {"tracking_error_xy_mps": _stat(0.05, 0.04, 0.06),
                                            "cost_of_transport": _stat(0.7, 0.6, 0.8)}})
    b = _board(tmp_path, "b", {"flat-0.5": {"tracking_error_xy_mps": _stat(0.10, 0.08, 0.12),
                                            "cost_of_transport": _stat(0.75, 0.7, 0.9)}})
    assert main(["bench", "--compare", a, b]) == 0
    out = capsys.readouterr().out
    assert "a vs b: 1 of 2 cells differ beyond their 95% intervals" in out
    assert "tracking_error_xy_mps" in out and "better: a" in out and "cost_of_transport" not in out


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not JSON"),
    ('{"format": "something-else"}', "is not a quadgait leaderboard file"),
    ('{"format": "quadgait-leaderboard/1", "controller": "x", "suite_version": "2.1", "cells": {"s": {"m": {}}}}',
     "is a damaged leaderboard file"),
])
def test_bad_leaderboard_files_fail_in_one_line(tmp_path, capsys, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    good = _board(tmp_path, "good", {"s": {"m": _stat(1, 0, 2)}})
    assert main(["bench", "--compare", good, str(bad)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_leaderboards_of_different_suite_versions_are_not_compared(tmp_path, capsys):
    a = _board(tmp_path, "a", {"s": {"m": _stat(1, 0, 2)}})
    b = _board(tmp_path, "b", {"s": {"m": _stat(1, 0, 2)}}, suite="1.0")
    assert main(["bench", "--compare", a, b]) == 2
    assert "different suite versions" in capsys.readouterr().err


def test_fast_improvement_and_profile_intervals_equal_rliables():
    from rliable import library, metrics

    groups = {"x": (4, 0.2), "y": (3, 0.25)}
    records, members = _records(groups, episodes=2), _members(groups)
    _, independent = stats._seeded_classes()
    x, _ = stats._task_matrix(records, members["x"], ["s1", "s2"], stats.PRIMARY_METRIC)
    y, _ = stats._task_matrix(records, members["y"], ["s1", "s2"], stats.PRIMARY_METRIC)
    reference = independent(-x, -y, seed=np.random.default_rng(0)).conf_int(
        lambda p, q: np.array([metrics.probability_of_improvement(p, q)]), reps=200, size=0.95, method="percentile")
    fast = stats.probability_of_improvement(records, members, "x", "y", ["s1", "s2"], reps=200, seed=0)
    np.testing.assert_allclose(fast["ci"], reference[:, 0], rtol=1e-12)

    profile = stats.performance_profiles(records, members, ["s1", "s2"], points=7, reps=200, seed=0)
    taus = np.array(profile["taus"])
    seeded, _ = stats._seeded_classes()
    reference = seeded(-x, seed=np.random.default_rng(0)).conf_int(
        lambda s: library.score_distributions(s, -taus - 1e-12), reps=200, size=0.95, method="percentile")
    np.testing.assert_allclose([profile["profiles"]["x"]["low"], profile["profiles"]["x"]["high"]], reference,
                               rtol=1e-12)
