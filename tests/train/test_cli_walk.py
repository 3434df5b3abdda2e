"""``quadgait walk`` and ``quadgait demo``: reported numbers, JSON shape, files, and errors for bad input."""

from __future__ import annotations

import json

import imageio.v2 as imageio
import pytest

from train.cli import main


def test_walk_json_reports_the_documented_keys(capsys):
    assert main(["walk", "--gait", "trot", "--seconds", "4", "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1  # exactly one JSON object on stdout
    data = json.loads(out[0])
    for key in ("distance_m", "mean_speed_mps", "heading_drift_deg", "fell"):
        assert key in data
    assert data["fell"] is False
    assert 0.8 < data["distance_m"] < 3.0  # 4 s at up to 0.5 m/s, with a 1 s ramp
    assert data["metrics"]["gait"] in ("trot", "irregular")


def test_walk_text_and_same_seed_same_numbers(capsys):
    main(["walk", "--gait", "pace", "--seconds", "2", "--json", "--seed", "3"])
    first = json.loads(capsys.readouterr().out)
    main(["walk", "--gait", "pace", "--seconds", "2", "--json", "--seed", "3"])
    assert json.loads(capsys.readouterr().out) == first
    assert main(["walk", "--gait", "walk", "--seconds", "1"]) == 0
    assert "distance" in capsys.readouterr().out


def test_walk_video_is_written(tmp_path):
    video = tmp_path / "trot.mp4"
    assert main(["walk", "--seconds", "1", "--video", str(video)]) == 0
    with imageio.get_reader(video) as reader:
        assert reader.get_meta_data()["size"] == (480, 360)
        assert reader.count_frames() >= 20  # 1 s at 25 fps
        assert reader.get_data(0).shape == (360, 480, 3)


def test_demo_writes_video_diagram_and_summary(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--seconds", "3"]) == 0
    assert {p.name for p in out.iterdir()} == {"trot.mp4", "trot_footfall.png", "summary.json"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["fell"] is False and summary["distance_m"] > 0.5
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["walk", "--gait", "moonwalk"], "invalid choice: 'moonwalk'"),
    (["walk", "--robot", "spot"], "invalid choice: 'spot'"),
    (["walk", "--seconds", "-1"], "out of range"),
    (["walk", "--speed", "nan"], "expected a finite number, got 'nan'"),
    (["walk", "--terrain", "lava:1"], "unknown terrain type 'lava'; valid types: flat, rough, slope, stairs"),
    (["walk", "--terrain", "rough:12"], "level must be an integer in [0, 9]"),
])
def test_bad_arguments_exit_2_with_the_valid_choices(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_walk_speed_range_is_the_controllers_own(capsys):
    # The model-based trot holds 1.6 m/s (README); the open-loop gaits are limited to 1.5 m/s.
    assert main(["walk", "--controller", "mpc", "--gait", "trot", "--speed", "1.6", "--seconds", "2", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["command"]["vx_mps"] == pytest.approx(1.6) and not summary["fell"]
    assert main(["walk", "--gait", "trot", "--speed", "1.6", "--seconds", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["quadgait walk: error: controller 'trot' supports |vx| <= 1.5 m/s, |vy| <= 1 m/s and "
                   "|yaw rate| <= 2 rad/s; got vx 1.6 m/s, vy 0 m/s, yaw rate 0 rad/s"]
    assert main(["walk", "--controller", "mpc", "--speed", "2.5"]) == 2
    assert "controller 'mpc-trot' supports |vx| <= 2 m/s" in capsys.readouterr().err


def test_bad_video_path_fails_before_simulating(tmp_path, capsys):
    assert main(["walk", "--video", str(tmp_path / "out.avi")]) == 2
    err = capsys.readouterr().err
    assert "must end in one of .mp4, .gif" in err
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_walk_on_terrain(capsys):
    assert main(["walk", "--terrain", "slope:1", "--seconds", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["terrain"] == "slope:1" and data["distance_m"] > 0.5
