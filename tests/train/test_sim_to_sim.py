"""The benchmark's sim-to-sim table: scenarios per engine, gaps, flags, and the end-to-end command."""

from __future__ import annotations

import json
import math

import pytest

from train.bench import sim_to_sim
from train.bench.report import AGGREGATED
from train.bench.scenarios import SCENARIOS, Scenario


def _cell(distance_m: float, falls: int = 0, failed: int = 0, succeeded: int = 1) -> dict:
    metrics = {name: {"mean": 1.0, "std": 0.0, "n": succeeded} for name in AGGREGATED}
    metrics["distance_m"] = {"mean": distance_m, "std": 0.0, "n": succeeded}
    return {"succeeded": succeeded, "failed": failed, "falls": falls, "metrics": metrics}


def test_engine_scenarios_keep_pybullet_names_and_skip_what_mujoco_cannot_run():
    flat, rough = SCENARIOS["flat-0.5"], SCENARIOS["rough-2"]
    out, skipped = sim_to_sim.engine_scenarios([flat, rough], ["pybullet", "mujoco"])
    assert [s.name for s in out] == ["flat-0.5", "flat-0.5@mujoco", "rough-2"]
    assert out[0] is flat and out[1].env_settings["engine"] == "mujoco"
    assert len(skipped) == 1 and skipped[0].startswith("rough-2@mujoco: engine='mujoco' does not support terrain")


def test_compare_reports_both_engines_the_gap_and_flags_a_collapse():
    summary = {
        "flat-0.5": {"steady": _cell(10.0), "collapses": _cell(10.0), "drifts": _cell(10.0)},
        "flat-0.5@mujoco": {"steady": _cell(9.0), "collapses": _cell(3.0, falls=1), "drifts": _cell(12.0)},
    }
    rows = {r["controller"]: r for r in sim_to_sim.compare(summary)}
    assert set(rows) == {"steady", "collapses", "drifts"}
    steady = rows["steady"]["metrics"]["distance_m"]
    assert (steady["pybullet"], steady["mujoco"]) == (10.0, 9.0)
    assert math.isclose(steady["gap"], -1.0) and math.isclose(steady["rel_gap"], -0.1)
    assert rows["steady"]["flags"] == []
    assert "falls in mujoco only" in rows["collapses"]["flags"]
    assert rows["drifts"]["flags"] == [f"distance gap > {sim_to_sim.DISTANCE_BAND:.0%}"]
    reverse = sim_to_sim.compare({"s": {"c": _cell(5.0, falls=1)}, "s@mujoco": {"c": _cell(5.2)}})
    assert reverse[0]["flags"] == ["falls in pybullet only"]
    table = sim_to_sim.markdown(list(rows.values()))
    assert "| flat-0.5 | collapses | mujoco | 0 / 1 | 10.00 / 3.00 (-70%) |" in table
    assert "**falls in mujoco only" in table


def test_a_cell_that_fails_only_in_the_twin_or_in_both_is_flagged():
    summary = {"stand": {"p": _cell(0.1)}, "stand@mujoco": {"p": _cell(math.nan, failed=1, succeeded=0)}}
    (row,) = sim_to_sim.compare(summary)
    assert row["flags"] == ["failed in mujoco"]
    broken = _cell(math.nan, failed=1, succeeded=0)
    (row,) = sim_to_sim.compare({"stand": {"p": broken}, "stand@mujoco": {"p": dict(broken)}})
    assert row["flags"] == ["failed in both (see the failed cells)"]


def test_a_course_is_not_flagged_for_its_distance():
    summary = {"figure-eight": {"c": _cell(1.0)}, "figure-eight@mujoco": {"c": _cell(0.4)}}
    assert sim_to_sim.compare(summary)[0]["flags"] == ["distance gap > 15%"]
    assert sim_to_sim.compare(summary, courses={"figure-eight"})[0]["flags"] == []


def test_a_policy_outside_its_training_range_is_reported_as_not_run_not_as_agreeing():
    outside = {**_cell(math.nan, succeeded=0), "outside_training_range": 1}
    (row,) = sim_to_sim.compare({"flat-0.5": {"p": outside}, "flat-0.5@mujoco": {"p": dict(outside)}})
    assert row["not_run"] and row["flags"] == []
    assert "| flat-0.5 | p | mujoco | – | not run: outside the policy's training range |" in sim_to_sim.markdown([row])


def test_bench_with_two_engines_writes_the_sim_to_sim_table(tmp_path, monkeypatch, capsys):
    pytest.importorskip("mujoco", reason="the MuJoCo twin needs the optional extra: pip install 'quadgait[mujoco]'")
    from train.bench import scenarios
    from train.cli import main

    patched = dict(scenarios.SCENARIOS)
    for name in ("flat-0.5", "rough-2"):
        s = patched[name]
        patched[name] = Scenario(name, s.description, s.command, 3.0, s.env_settings, s.seeds)
    monkeypatch.setattr(scenarios, "SCENARIOS", patched)
    out = tmp_path / "bench"
    code = main(["bench", "--engine", "pybullet", "--engine", "mujoco", "--controller", "trot", "--scenario",
                 "flat-0.5", "--scenario", "rough-2", "--episodes", "1", "--out", str(out), "--no-progress"])
    assert code == 0
    data = json.loads((out / "results.json").read_text())
    assert set(data["summary"]) == {"flat-0.5", "flat-0.5@mujoco", "rough-2"}
    (row,) = data["sim_to_sim"]["rows"]
    assert (row["scenario"], row["controller"], row["engine"]) == ("flat-0.5", "trot", "mujoco")
    distance = row["metrics"]["distance_m"]
    assert distance["pybullet"] > 0.5 and distance["mujoco"] > 0.5
    assert row["falls"] == {"pybullet": 0, "mujoco": 0}
    assert data["sim_to_sim"]["skipped"][0].startswith("rough-2@mujoco")
    table = (out / "results.md").read_text()
    assert "Sim-to-sim" in table and "| flat-0.5 | trot | mujoco | 0 / 0 |" in table
    assert "rough-2@mujoco" in capsys.readouterr().err


def test_play_and_walk_run_in_the_twin_headless(capsys, tmp_path):
    pytest.importorskip("mujoco", reason="the MuJoCo twin needs the optional extra: pip install 'quadgait[mujoco]'")
    from train.cli import main

    video = tmp_path / "course.mp4"
    assert main(["play", "trot", "--engine", "mujoco", "--course", "figure-eight", "--seconds", "3", "--json",
                 "--video", str(video)]) == 0
    course = json.loads(capsys.readouterr().out)
    assert not course["fell"] and course["metrics"]["distance_m"] > 0.5 and video.stat().st_size > 10_000
    assert main(["walk", "--gait", "trot", "--engine", "mujoco", "--seconds", "3", "--json"]) == 0
    walk = json.loads(capsys.readouterr().out)
    assert walk["engine"] == "mujoco" and not walk["fell"] and walk["distance_m"] > 0.5
    assert main(["walk", "--engine", "mujoco", "--terrain", "rough:1", "--seconds", "1"]) == 2
    assert "engine='mujoco' does not support terrain='rough:1'" in capsys.readouterr().err
