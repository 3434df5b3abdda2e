"""``quadgait bench``: report forms, reproducibility, parallel == serial, failures captured, bad names rejected."""

from __future__ import annotations

import importlib.util
import json
import os
import re

import pytest

from train.atomic import atomic_path
from train.bench import runner
from train.bench.scenarios import SCENARIOS, Scenario, get_scenario
from train.bench.suite import plan_benchmark, run_benchmark
from train.cli import main

# Short versions of two suite scenarios keep the test fast; the machinery is the same.
SHORT = {name: Scenario(name, s.description, s.command, 4.0, s.env_settings, s.seeds)
         for name, s in SCENARIOS.items() if name in ("flat-0.5", "turn-left")}


@pytest.fixture
def short_scenarios(monkeypatch):
    from train.bench import scenarios

    patched = dict(scenarios.SCENARIOS)
    patched.update(SHORT)
    monkeypatch.setattr(scenarios, "SCENARIOS", patched)


def _bench(tmp_path, name, *extra):
    out = tmp_path / name
    code = main(["bench", "--controller", "trot", "--controller", "pace", "--scenario", "flat-0.5",
                 "--scenario", "turn-left", "--episodes", "1", "--out", str(out), "--no-progress", *extra])
    return code, out


def _numbers(out):
    data = json.loads((out / "results.json").read_text())
    return [(e["controller"], e["scenario"], e["episode"], e["metrics"]) for e in data["episodes"]]


def test_bench_writes_all_report_forms_and_reruns_identically(tmp_path, short_scenarios, capsys):
    code, out = _bench(tmp_path, "a")
    assert code == 0
    stats = {"performance_profile.png", "leaderboard"} if importlib.util.find_spec("rliable") else set()
    assert {p.name for p in out.iterdir()} == {"results.json", "results.md", "footfall.png", "speed_vs_command.png",
                                               "cot_vs_speed.png", "report.html", *stats}
    data = json.loads((out / "results.json").read_text())
    assert data["suite_version"] and data["executor"] == "serial"
    cell = data["summary"]["flat-0.5"]["trot"]
    assert cell["succeeded"] == 1 and cell["falls"] == 0
    assert cell["metrics"]["mean_forward_speed_mps"]["mean"] > 0.25
    assert set(data["summary"]) == {"flat-0.5", "turn-left"}
    table = (out / "results.md").read_text()
    assert "| laikago_fast | flat-0.5 | trot |" in table and "| turn-left | pace |" in table
    assert (out / "footfall.png").stat().st_size > 1000
    _, again = _bench(tmp_path, "b")
    assert _numbers(again) == _numbers(out)


def test_two_workers_match_serial(tmp_path, short_scenarios):
    _, serial = _bench(tmp_path, "serial")
    code, parallel = _bench(tmp_path, "parallel", "--workers", "2")
    assert code == 0
    assert _numbers(parallel) == _numbers(serial)
    assert json.loads((parallel / "results.json").read_text())["executor"] == "2 local workers"


def test_terrain_override_applies_to_every_scenario(tmp_path, short_scenarios, capsys):
    main(["bench", "--controller", "trot", "--scenario", "flat-0.5", "--episodes", "1", "--terrain", "rough:1",
          "--out", str(tmp_path / "t"), "--json", "--no-progress"])
    summary = json.loads(capsys.readouterr().out)
    assert list(summary["summary"]) == ["flat-0.5@rough:1"]
    data = json.loads((tmp_path / "t" / "results.json").read_text())
    assert data["scenarios"]["flat-0.5@rough:1"]["env_settings"] == {"terrain": "rough:1"}


def test_json_summary_on_stdout(tmp_path, short_scenarios, capsys):
    main(["bench", "--controller", "trot", "--scenario", "flat-0.5", "--episodes", "1", "--out",
          str(tmp_path / "j"), "--json", "--no-progress"])
    summary = json.loads(capsys.readouterr().out)
    assert summary["summary"]["flat-0.5"]["trot"]["succeeded"] == 1


def test_corrupt_policy_fails_its_cell_and_the_report_is_still_written(tmp_path, short_scenarios):
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"this is not a zip archive")
    missing = tmp_path / "no_such_run"
    out = tmp_path / "out"
    code = main(["bench", "--controller", "trot", "--controller", str(bad), "--controller", str(missing) + "/",
                 "--scenario", "flat-0.5", "--episodes", "1", "--out", str(out), "--no-progress"])
    assert code == 3  # some cells failed (1 is kept for crashes)
    data = json.loads((out / "results.json").read_text())
    errors = {f["controller"]: f["error"] for f in data["failures"]}
    assert "not a stable-baselines3 model" in errors[str(bad)]
    assert "no run folder or model at" in errors[str(missing) + "/"]
    assert data["summary"]["flat-0.5"]["trot"]["succeeded"] == 1
    assert "Failed cells" in (out / "results.md").read_text()


def test_crashed_worker_marks_its_cell_failed(tmp_path, monkeypatch):
    real = runner.run_cell

    def crashing(cell):
        if cell.controller == "pace":
            os._exit(3)  # simulate a segfaulting worker
        return real(cell)

    monkeypatch.setattr(runner, "run_cell", crashing)  # inherited by the forked workers
    scenario = Scenario("tiny", "2 s flat", (0.5, 0.0, 0.0), 2.0)
    cells = runner.make_cells(["trot", "pace", "walk"], [scenario], 1, "laikago_fast")
    records = runner.run_local(cells, 2)
    status = {r["controller"]: r for r in records}
    assert status["trot"]["status"] == "ok" and status["walk"]["status"] == "ok"
    assert status["pace"]["status"] == "failed" and "exit code 3" in status["pace"]["error"]


@pytest.mark.parametrize("argv, message", [
    (["--scenario", "moon"], "unknown scenario 'moon'; valid scenarios: flat-0.3"),
    (["--controller", "moonwalk"], "unknown controller 'moonwalk'; valid: bound, gallop"),
    (["--episodes", "0"], "episodes must be in [1, 1000], got 0"),
    (["--robot", "spot"], "unknown robot 'spot'"),
])
def test_bad_names_are_rejected_before_running(tmp_path, capsys, argv, message):
    assert main(["bench", "--out", str(tmp_path / "x"), "--no-progress", *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_the_library_call_is_what_the_cli_runs(tmp_path, short_scenarios, capsys):
    plan = plan_benchmark(tmp_path / "lib", ["trot"], ["flat-0.5"], episodes=1)
    assert [(c.controller, c.scenario.name, c.episode) for c in plan.cells] == [("trot", "flat-0.5", 0)]
    assert plan.executor == "serial" and plan.robot == "laikago_fast"
    run = run_benchmark(plan)
    assert run.failed == 0 and not run.interrupted and len(run.records) == 1
    assert {p.name for p in run.written} >= {"results.json", "results.md"}
    assert main(["bench", "--controller", "trot", "--scenario", "flat-0.5", "--episodes", "1", "--out",
                 str(tmp_path / "cli"), "--no-progress"]) == 0
    capsys.readouterr()
    assert _numbers(tmp_path / "lib") == _numbers(tmp_path / "cli")


@pytest.mark.parametrize("kwargs, message", [
    ({"scenarios": ["moon"]}, "unknown scenario 'moon'"),
    ({"episodes": 0}, "episodes must be in [1, 1000]"),
    ({"workers": 2, "ray": "local"}, "cannot be combined"),
])
def test_the_library_checks_its_inputs_before_making_the_folder(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        plan_benchmark(tmp_path / "x", ["trot"], **{"scenarios": ["flat-0.5"], **kwargs})
    assert not (tmp_path / "x").exists()


def test_atomic_write_leaves_nothing_on_interruption(tmp_path):
    target = tmp_path / "results.json"
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            tmp.write_text('{"half": ')
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_scenarios_are_named_versioned_data():
    flat = get_scenario("flat-0.5")
    assert flat.command == (0.5, 0.0, 0.0) and flat.seed(0) == 0 and flat.seed(7) == 7
    assert get_scenario("payload-5kg").env_settings == {"added_base_mass_kg": 5.0}


def test_ray_matches_serial(tmp_path, short_scenarios):
    pytest.importorskip("ray")  # the optional extra
    # A local Ray instance started (and shut down) by the run itself.
    _, serial = _bench(tmp_path, "serial")
    code, on_ray = _bench(tmp_path, "ray", "--ray", "local")
    assert code == 0
    assert _numbers(on_ray) == _numbers(serial)


def test_a_full_disk_keeps_the_summary_and_names_the_file(tmp_path, short_scenarios, capsys, monkeypatch):
    """Audit D11: on a full disk the finished episodes were lost, with a pathless message and exit 2."""
    import errno
    from pathlib import Path

    def full(self, *args, **kwargs):  # what a write to a full disk raises: no file name
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    out = tmp_path / "b"
    code = main(["bench", "--no-progress", "--controller", "trot", "--scenario", "flat-0.5", "--episodes", "1",
                 "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 4
    assert "| trot |" in captured.out  # the summary is not lost
    assert captured.err.splitlines() == [
        f"quadgait bench: error: 1 of 1 episodes ran, but the report could not be written (No space left on "
        f"device: '{out / 'results.json'}'); their summary is on stdout above"]
    assert not list(out.glob(".*partial*"))


def test_temporary_files_of_killed_writes_are_removed_by_the_next_write(tmp_path):
    """Audit D13: SIGKILL during a write left hidden 0-byte .partial files that nothing removed."""
    import time as _time

    target = tmp_path / "steer.onnx"
    stale = tmp_path / ".steer.abc123.partial.onnx"
    live = tmp_path / ".steer.def456.partial.onnx"  # another process writing it right now
    other = tmp_path / ".other.abc123.partial.onnx"
    for path in (stale, live, other):
        path.write_bytes(b"")
    old = _time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"onnx")
    assert target.read_bytes() == b"onnx"
    assert not stale.exists() and live.exists() and other.exists()
