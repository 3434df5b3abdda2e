"""The shipped default steerable policy, laikago-steer-prior-ppo (PPO over the model-based trot in
``quadgait/LaikagoSteerPrior-v0``): it follows velocity commands in every direction as tightly as the model-based
controller it corrects, holds its heading on a plain straight command (what the keyboard sends), and its ONNX
export takes the command as an input."""

from __future__ import annotations

import numpy as np
import pytest

from envs.policies import pretrained_names, pretrained_path
from envs.rollout import run_controller
from tests.train.onnx_check import assert_onnx_matches_stable_baselines3

POLICY = "laikago-steer-prior-ppo"
ENV_ID = "quadgait/LaikagoSteerPrior-v0"
#: Mean body velocity after the 3 s start, against the command. docs/steering.md gives the measured errors (about
#: 0.05 m/s and rad/s, the model-based trot's); the residual-trot policy laikago-steer-ppo needs 0.25 for the same
#: commands, and a policy that ignores the command's direction misses by 0.3 or more.
TOLERANCE_MPS, TOLERANCE_RADPS = 0.1, 0.1


def test_policy_ships_with_its_files():
    assert POLICY in pretrained_names()
    names = {p.name for p in pretrained_path(POLICY).iterdir()}
    assert names >= {"model.zip", "vecnormalize.json", "config.yaml", "policy.onnx", "README.md", "training_eval.csv"}


@pytest.mark.parametrize("command", [(0.5, 0.0, 0.0), (-0.3, 0.0, 0.0), (0.0, 0.3, 0.0), (0.0, -0.3, 0.0),
                                     (0.0, 0.0, 0.6), (0.5, 0.0, 0.4), (0.0, 0.0, 0.0)])
def test_follows_velocity_commands_in_every_direction(command):
    episode = run_controller(POLICY, seconds=8.0, seed=0, command=command)
    assert not episode.summary["fell"]
    r = episode.rollout
    late = r.time_s >= 3.0
    np.testing.assert_array_equal(r.command[late], np.tile(command, (late.sum(), 1)))  # scored against this
    vx, vy = r.base_lin_vel_body[late, :2].mean(axis=0)
    wz = r.base_ang_vel_body[late, 2].mean()
    assert abs(vx - command[0]) <= TOLERANCE_MPS, (vx, command)
    assert abs(vy - command[1]) <= TOLERANCE_MPS, (vy, command)
    assert abs(wz - command[2]) <= TOLERANCE_RADPS, (wz, command)


@pytest.mark.parametrize("speed", [0.5, 0.9])
def test_a_plain_straight_command_does_not_circle(speed):
    """The keyboard sends (speed, 0, 0) with no heading feedback: the dog must keep its heading (the residual-trot
    policy turned 111 degrees in 12 s at 0.9 m/s)."""
    episode = run_controller(POLICY, seconds=12.0, seed=0, command=(speed, 0.0, 0.0))
    assert not episode.summary["fell"]
    yaw = np.unwrap(episode.rollout.base_rpy[:, 2])
    assert np.degrees(np.max(np.abs(yaw - yaw[0]))) < 3.0


def test_onnx_export_takes_the_command_as_an_input_and_matches_stable_baselines3():
    assert_onnx_matches_stable_baselines3(POLICY, "quadgait/LaikagoSteerPrior-v0")
