"""The shipped pretrained policies do what docs/training.md says: one walks in joint space, one beats the scripted
trot."""

from __future__ import annotations

import pytest

from envs.policies import pretrained_names
from envs.rollout import top_sustained_speed_mps
from train.evaluate import evaluate

JOINT_POLICY = "laikago-walk-ppo"
STRUCTURED_POLICY = "laikago-trot-residual-ppo"


def test_both_policies_ship():
    assert {JOINT_POLICY, STRUCTURED_POLICY} <= set(pretrained_names())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_joint_space_policy_walks_half_a_metre_per_second_for_20_s(seed):
    result = evaluate(JOINT_POLICY, seconds=20.0, seed=seed)
    assert not result["fell"]
    assert result["duration_s"] == pytest.approx(20.0)
    assert result["mean_speed_mps"] >= 0.5


def test_structured_policy_beats_the_scripted_trot_by_20_percent_top_speed():
    trot_top = top_sustained_speed_mps("trot")
    result = evaluate(STRUCTURED_POLICY, seconds=20.0, seed=0)
    assert not result["fell"]
    assert result["mean_speed_mps"] >= 1.2 * trot_top
