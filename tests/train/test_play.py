"""``quadgait play``: the key-to-command mapping, and a headless course with its path error."""

from __future__ import annotations

import json

import numpy as np
import pytest

from train.cli import main
from train.play import KEY_STEPS, next_command, pressed_keys

LOW, HIGH = np.array([-0.5, -0.4, -0.8]), np.array([1.0, 0.4, 0.8])


def test_keys_change_the_command_by_one_step_within_the_range():
    c = np.zeros(3)
    c = next_command(c, "up", LOW, HIGH)
    np.testing.assert_array_equal(c, [0.1, 0.0, 0.0])
    assert next_command(c, "w", LOW, HIGH)[0] == pytest.approx(0.2)  # WASD = arrows
    c = next_command(c, "left", LOW, HIGH)
    np.testing.assert_array_equal(c, [0.1, 0.0, 0.2])
    c = next_command(c, "q", LOW, HIGH)
    np.testing.assert_array_equal(c, [0.1, 0.1, 0.2])
    np.testing.assert_array_equal(next_command(c, "space", LOW, HIGH), np.zeros(3))
    np.testing.assert_array_equal(next_command(c, "x", LOW, HIGH), c)  # unknown key: unchanged


def test_the_command_stays_inside_the_training_range_and_on_its_grid():
    c = np.zeros(3)
    for _ in range(30):
        c = next_command(c, "up", LOW, HIGH)
    assert c[0] == 1.0
    for _ in range(40):
        c = next_command(c, "down", LOW, HIGH)
    assert c[0] == -0.5
    for _ in range(7):
        c = next_command(c, "e", LOW, HIGH)
    assert c[1] == -0.4
    assert all(next_command(np.zeros(3), k, LOW, HIGH).tolist() != [0, 0, 0] for k in KEY_STEPS)


def test_pybullet_key_events_map_to_names():
    triggered, down = 2 | 1, 1
    events = {65297: triggered, ord("a"): triggered, ord("d"): down, ord("z"): triggered}
    assert pressed_keys(events) == ["a", "up"]  # held keys and unmapped keys are ignored


def test_headless_course_reports_the_path_error(capsys, tmp_path):
    video = tmp_path / "eight.mp4"
    code = main(["play", "trot", "--course", "figure-eight", "--seconds", "3", "--json", "--video", str(video)])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["course"] == "figure-eight" and data["command_varies"] is False  # 3 s: still on the first circle
    assert data["command"] == {"vx_mps": 0.4, "vy_mps": 0.0, "yaw_rate_radps": 0.5}
    assert 0.0 <= data["metrics"]["path_error_m"] < 0.3
    assert video.stat().st_size > 1000


def test_play_errors_are_one_line(capsys, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    assert main(["play", "trot"]) == 2
    assert "needs a display" in capsys.readouterr().err
    assert main(["play", "trot", "--course", "moon"]) == 2
    assert "unknown course 'moon'; valid: figure-eight" in capsys.readouterr().err
    assert main(["play", "laikago-walk-ppo", "--course", "figure-eight"]) == 2
    assert "outside laikago-walk-ppo's training range" in capsys.readouterr().err
    # audit D14: --gui was ignored with --course (headless or not)
    for display in (None, ":99"):
        if display is None:
            monkeypatch.delenv("DISPLAY", raising=False)
        else:
            monkeypatch.setenv("DISPLAY", display)
        assert main(["play", "trot", "--course", "figure-eight", "--seconds", "1", "--gui"]) == 2
        assert capsys.readouterr().err.splitlines() == [
            "quadgait play: error: --gui and --course cannot be combined: a --course runs headless (add --video to "
            "film it), --gui drives live from the keyboard"]


def _paced(step_cost_s, gui_cost_s, wall_s=30.0, dt=0.02):
    """The live loop's pacing on a fake clock: (steps taken, frames drawn, the real-time factor the window shows
    at the end)."""
    from train.play import RealTimePacer

    now, steps, frames = 0.0, 0, 0
    pacer = RealTimePacer(dt, now)
    while now < wall_s:
        while pacer.due(now):
            now += step_cost_s
            pacer.stepped()
            steps += 1
        pacer.caught_up(now)
        rtf = pacer.real_time_factor()
        now += gui_cost_s  # one window update (frames are dropped while the window is slow)
        frames += 1
        now = max(now, pacer.next_step_s())  # the loop sleeps until the next step is due
    return steps, frames, rtf


def test_live_physics_keeps_real_time_and_drops_frames_when_the_window_is_slow():
    # a window update of 300 ms (Xvfb on busy cores) and 3 ms per control step: real time, about 3 frames/s
    steps, frames, rtf = _paced(0.003, 0.3)
    assert abs(rtf - 1.0) < 0.05 and abs(steps - 30.0 / 0.02) < 30
    assert frames < 0.1 * steps
    # a fast window: real time, never ahead of the wall clock
    steps, frames, rtf = _paced(0.001, 0.0)
    assert abs(rtf - 1.0) < 0.05 and steps <= 30.0 / 0.02 + 1


def test_catching_up_after_a_stall_is_not_shown_as_faster_than_real_time():
    # window updates of 0.9 s: 45 steps are caught up in a burst after each; the factor shown stays about 1
    steps, frames, rtf = _paced(0.002, 0.9)
    assert 0.95 < rtf < 1.05, rtf


def test_a_machine_too_slow_for_real_time_shows_it_and_does_not_pile_up_steps():
    # 40 ms per 20 ms control step: about half real time, shown as such; the lag is dropped, not caught up later
    steps, _, rtf = _paced(0.04, 0.1)
    assert 0.35 < rtf < 0.55 and steps < 0.6 * 30.0 / 0.02
