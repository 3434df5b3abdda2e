"""The shipped steerable policy, laikago-steer-ppo: it follows velocity commands in every direction, its ONNX export
takes the command as an input, and the plain stable-baselines3 snippet in docs/clients.md runs it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from envs.policies import pretrained_names, pretrained_path
from envs.rollout import run_controller
from tests.train.onnx_check import assert_onnx_matches_stable_baselines3

POLICY = "laikago-steer-ppo"
REPO = Path(__file__).resolve().parents[2]
#: Mean body velocity after the 3 s start, against the command: what "follows the command" means here.
#: docs/steering.md's tables give the measured errors (about 0.1-0.2 m/s and rad/s); a policy that ignores the
#: command's direction (e.g. a forward-only walker) misses these by 0.3 or more.
TOLERANCE_MPS, TOLERANCE_RADPS = 0.25, 0.25


def test_steer_policy_ships():
    assert POLICY in pretrained_names()
    folder = pretrained_path(POLICY)
    assert {p.name for p in folder.iterdir()} >= {"model.zip", "vecnormalize.json", "config.yaml", "policy.onnx",
                                                 "README.md"}


@pytest.mark.parametrize("command", [(0.5, 0.0, 0.0), (-0.3, 0.0, 0.0), (0.0, 0.3, 0.0), (0.0, -0.3, 0.0),
                                     (0.0, 0.0, 0.6), (0.5, 0.0, 0.4), (0.0, 0.0, 0.0)])
def test_follows_velocity_commands_in_every_direction(command):
    episode = run_controller(POLICY, seconds=10.0, seed=0, command=command)
    assert not episode.summary["fell"]
    r = episode.rollout
    late = r.time_s >= 3.0
    np.testing.assert_array_equal(r.command[late], np.tile(command, (late.sum(), 1)))  # scored against this
    vx, vy = r.base_lin_vel_body[late, :2].mean(axis=0)
    wz = r.base_ang_vel_body[late, 2].mean()
    assert abs(vx - command[0]) <= TOLERANCE_MPS, (vx, command)
    assert abs(vy - command[1]) <= TOLERANCE_MPS, (vy, command)
    assert abs(wz - command[2]) <= TOLERANCE_RADPS, (wz, command)


def test_heading_command_turns_the_dog_to_the_heading():
    episode = run_controller(POLICY, seconds=10.0, seed=0, command=(0.3, 0.0, 0.0), heading_rad=1.0)
    assert not episode.summary["fell"]
    yaw = episode.rollout.base_rpy[:, 2]
    assert abs(yaw[-1] - 1.0) < 0.25, yaw[-1]


def test_onnx_export_takes_the_command_as_an_input_and_matches_stable_baselines3():
    assert_onnx_matches_stable_baselines3(POLICY, "quadgait/LaikagoSteer-v0")


def test_plain_stable_baselines3_snippet_in_the_docs_runs_the_policy(tmp_path):
    text = (REPO / "docs" / "clients.md").read_text()
    section = text[text.index("## Plain stable-baselines3"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    steering = (REPO / "docs" / "steering.md").read_text()
    steer = steering[steering.index("## A steerable Laikago"):]
    assert re.search(r"```python[^\n]*\n(.*?)```", steer, re.S).group(1) == code  # docs/steering.md: same snippet
    script = tmp_path / "plain_sb3.py"
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    m = re.search(r"(\d+) steps, mean forward speed (-?[\d.]+) m/s, mean yaw rate (-?[\d.]+) rad/s, failure: None",
                  out.stdout)
    assert m, out.stdout
    assert int(m.group(1)) == 500
    assert abs(float(m.group(2)) - 0.5) <= TOLERANCE_MPS and abs(float(m.group(3)) - 0.3) <= TOLERANCE_RADPS
