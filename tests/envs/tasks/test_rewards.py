"""The shared reward shapes (envs/tasks/rewards.py) on plain arrays: signs, zeros and the air-time rules."""

from __future__ import annotations

import numpy as np
import pytest

from envs.tasks import rewards


def test_penalties_are_zero_at_rest_and_negative_otherwise():
    assert rewards.tilt_penalty(np.array([0.0, 0.0, -1.0])) == 0.0
    assert rewards.tilt_penalty(np.array([0.6, 0.0, -0.8])) == pytest.approx(-0.36)
    assert rewards.tilt_penalty(np.array([1.0, 0.0, 0.0])) == -1.0  # on its side
    assert rewards.power_penalty(0.0) == 0.0 and rewards.power_penalty(12.5) == -12.5
    a = np.array([0.5, -0.5, 0.0])
    assert rewards.action_rate_penalty(a, a) == 0.0
    assert rewards.action_rate_penalty(a, np.zeros(3)) == pytest.approx(-0.5)


def test_air_time_pays_capped_touchdowns_only_while_moving():
    landed = np.array([0.1, 0.4, 0.0, 0.0])
    moving, still = np.array([0.5, 0.0, 0.0]), np.array([0.02, 0.0, 0.0])
    assert rewards.air_time_reward(landed, moving) == pytest.approx(0.1 + rewards.AIR_TIME_CAP_S)
    assert rewards.air_time_reward(landed, still) == 0.0
    assert rewards.air_time_reward(np.zeros(4), moving) == 0.0


def test_the_shapes_return_python_floats():
    values = (rewards.tracking_reward(0.1, 0.25), rewards.tilt_penalty(np.zeros(3)),
              rewards.action_rate_penalty(np.ones(2), np.zeros(2)),
              rewards.gait_contact_reward(np.ones(4, bool), np.ones(4, bool)),
              rewards.air_time_reward(np.full(4, 0.1), np.ones(3)))
    assert all(type(v) is float for v in values)
