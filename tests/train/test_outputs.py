"""Videos stream to disk; a benchmark rerun into the same folder leaves no file of the earlier run; names are
checked before running (reliability audit W39, B32, B11)."""

from __future__ import annotations

import json
import tracemalloc
from types import SimpleNamespace

import imageio.v2 as imageio
import numpy as np
import pytest

from train.bench.scenarios import SCENARIOS, Scenario
from train.cli import main
from train.video import VideoWriter


class _FakeEnv:
    """Renders a fresh 480 x 360 frame (518 kB) on every call, like the follow camera."""

    def __init__(self) -> None:
        self.unwrapped = SimpleNamespace(control_dt_s=0.02)
        self.rendered = 0

    def render(self) -> np.ndarray:
        self.rendered += 1
        frame = np.zeros((360, 480, 3), np.uint8)
        frame[:, : self.rendered % 480] = 200
        return frame


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_video_frames_are_streamed_not_held(tmp_path, suffix):
    env, path = _FakeEnv(), tmp_path / f"v{suffix}"
    steps = 400 if suffix == ".mp4" else 40
    tracemalloc.start()
    try:
        with VideoWriter(path, every=2) as writer:
            for step in range(steps):
                writer(env, step)
            held_mb = tracemalloc.get_traced_memory()[0] / 2**20
            writer.finish()
    finally:
        tracemalloc.stop()
    assert writer.frames == steps // 2
    if suffix == ".mp4":  # 200 frames would hold 104 MB (before the fix every frame stayed in a list)
        assert held_mb < 20, held_mb
        with imageio.get_reader(path) as reader:
            assert reader.count_frames() == 200 and reader.get_meta_data()["fps"] == 25.0
    assert path.is_file() and not list(tmp_path.glob(".*partial*"))


def test_an_interrupted_video_leaves_no_file(tmp_path):
    env, path = _FakeEnv(), tmp_path / "v.mp4"
    with pytest.raises(KeyboardInterrupt):
        with VideoWriter(path) as writer:
            writer(env, 0)
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def short_scenarios(monkeypatch):
    from train.bench import scenarios

    short = {name: Scenario(name, s.description, s.command, 2.0, s.env_settings, s.seeds)
             for name, s in SCENARIOS.items() if name in ("flat-0.3", "flat-0.5")}
    monkeypatch.setattr(scenarios, "SCENARIOS", {**scenarios.SCENARIOS, **short})


def test_a_bench_rerun_into_the_same_folder_leaves_no_stale_files(tmp_path, short_scenarios, capsys):
    out = tmp_path / "stale"
    base = ["bench", "--episodes", "1", "--out", str(out), "--no-progress"]
    assert main([*base, "--controller", "trot", "--scenario", "flat-0.5", "--save-rollouts"]) == 0
    assert (out / "footfall.png").is_file() and list((out / "rollouts").glob("*.npz"))
    (out / "notes.txt").write_text("mine")
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    assert main([*base, "--controller", str(bad), "--scenario", "flat-0.3"]) == 3
    # Before the fix the first run's plots and rollouts stayed beside the second run's results.
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "report.html", "results.json", "results.md"]
    assert json.loads((out / "results.json").read_text())["controllers"] == [str(bad)]


def test_an_empty_controller_name_is_rejected_before_running(tmp_path, capsys):
    assert main(["bench", "--controller", "", "--out", str(tmp_path / "x"), "--no-progress"]) == 2
    assert "a controller name must be a non-empty string" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_without_the_stats_extra_bench_says_so_and_writes_the_plain_report(tmp_path, short_scenarios, capsys,
                                                                           monkeypatch):
    from train.bench import stats

    monkeypatch.setattr(stats, "available", lambda: False)
    out = tmp_path / "plain"
    assert main(["bench", "--controller", "trot", "--scenario", "flat-0.5", "--episodes", "1", "--out", str(out),
                 "--no-progress"]) == 0
    assert "no intervals: aggregate statistics need the optional extra" in capsys.readouterr().err
    assert json.loads((out / "results.json").read_text())["statistics"] is None
    assert (out / "report.html").is_file() and not (out / "leaderboard").exists()
