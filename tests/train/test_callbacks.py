"""The training evaluator's scoring (train/callbacks.py): a robot that stands still when asked to move is counted,
whatever its mean tracking error, and eval.csv keeps the count."""

from __future__ import annotations

import pytest

from train.callbacks import EVAL_COLUMNS, read_eval_csv, stood_still, write_eval_csv


def _summary(vx, vy, yaw, err_xy, err_yaw):
    return {"command": {"vx_mps": vx, "vy_mps": vy, "yaw_rate_radps": yaw},
            "metrics": {"tracking_error_xy_mps": err_xy, "tracking_error_yaw_radps": err_yaw}}


@pytest.mark.parametrize("summary, expected", [
    (_summary(0.5, 0.0, 0.0, 0.5, 0.0), True),     # frozen under a forward command: error = command
    (_summary(0.0, -0.3, 0.0, 0.2, 0.0), True),    # two thirds of a sideways command missing
    (_summary(0.0, 0.0, 0.6, 0.02, 0.6), True),    # does not turn when asked to turn in place
    (_summary(0.5, 0.0, 0.0, 0.05, 0.02), False),  # walks
    (_summary(0.05, 0.0, 0.05, 0.05, 0.05), False),  # a near-zero command asks for no motion
    (_summary(0.0, 0.0, 0.0, 0.01, 0.01), False),  # the stand cell
])
def test_stood_still(summary, expected):
    assert stood_still(summary) is expected


def test_eval_csv_keeps_the_count_and_reads_files_without_it(tmp_path):
    row = {"step": 10, "wall_clock_s": 1.5, "mean_speed_mps": 0.3, "fell": 0, "distance_m": 4.0,
           "tracking_error_xy_mps": 0.07, "tracking_error_yaw_radps": 0.05, "stood_still": 2}
    write_eval_csv(tmp_path / "eval.csv", [row])
    assert read_eval_csv(tmp_path / "eval.csv")[0]["stood_still"] == 2
    old = tmp_path / "old.csv"  # written before the column existed
    old.write_text(",".join(EVAL_COLUMNS[:-1]) + "\n10,1.5,0.3,0,4.0,0.07,0.05\n")
    assert read_eval_csv(old)[0]["stood_still"] == 0
