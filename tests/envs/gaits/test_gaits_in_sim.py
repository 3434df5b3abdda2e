"""Scripted gaits in simulation: they stay up, the trot walks, contacts follow the spec, turning turns."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import envs  # noqa: F401
from envs import metrics
from envs.gait_analysis import circular_distance_cycles, phase_offsets
from envs.gaits import GAIT_PRESETS, get_gait
from envs.rollout import run_controller

SETTLE_S = 2.0  # skip the 1 s start-up ramp and the first steps


@functools.cache
def rollout(gait: str, vx: float = 0.5, yaw_rate: float = 0.0, seconds: float = 20.0):
    return run_controller(gait, seconds=seconds, seed=0, command=(vx, 0.0, yaw_rate)).rollout


def _settled_offsets(r) -> np.ndarray:
    keep = r.time_s >= SETTLE_S
    return phase_offsets(r.foot_contacts[keep], r.time_s[keep])


@pytest.mark.parametrize("gait", sorted(GAIT_PRESETS))
def test_every_preset_stays_upright_for_20_s(gait):
    r = rollout(gait)
    assert not r.fell, f"{gait} fell at {r.fall_time_s} s"
    assert metrics.duration_s(r) == pytest.approx(20.0)
    assert np.degrees(np.abs(r.base_rpy[:, :2])).max() < 30.0


def test_trot_at_half_a_metre_per_second_covers_7_m_straight():
    r = rollout("trot")
    assert metrics.distance_m(r) >= 7.0
    assert metrics.heading_drift_deg(r) < 15.0


@pytest.mark.parametrize("gait, pairs", [
    ("trot", {"together": [(0, 3), (1, 2)], "half_cycle": [(0, 1)]}),  # FR+RL, FL+RR
    ("pace", {"together": [(0, 2), (1, 3)], "half_cycle": [(0, 1)]}),  # FR+RR, FL+RL
    ("bound", {"together": [(0, 1), (2, 3)], "half_cycle": [(0, 2)]}),  # FR+FL, RR+RL
])
def test_measured_contact_sequence_matches_the_preset(gait, pairs):
    offsets = _settled_offsets(rollout(gait))
    assert np.all(np.isfinite(offsets))
    for a, b in pairs["together"]:
        assert circular_distance_cycles(offsets[a], offsets[b]) <= 0.1, offsets
    for a, b in pairs["half_cycle"]:
        assert abs(circular_distance_cycles(offsets[a], offsets[b]) - 0.5) <= 0.1, offsets
    # And the whole offset vector is within 0.1 cycle of the spec.
    spec = np.array(get_gait(gait).phase_offsets)
    assert np.max(circular_distance_cycles(offsets, spec)) <= 0.1, offsets


def test_measured_stride_frequency_matches_the_trot_spec():
    r = rollout("trot")
    keep = r.time_s >= SETTLE_S
    from envs.gait_analysis import stride_frequency_hz

    assert stride_frequency_hz(r.foot_contacts[keep], r.time_s[keep]) == pytest.approx(
        get_gait("trot").stride_frequency_hz, rel=0.05)


@pytest.mark.parametrize("yaw_rate", [0.4, -0.4])
def test_yaw_rate_command_turns_the_right_way(yaw_rate):
    r = rollout("trot", 0.3, yaw_rate, 10.0)
    assert not r.fell
    turned = metrics.heading_change_deg(r)
    expected = np.degrees(yaw_rate * (10.0 - 0.5))  # the command ramps up over the first second
    assert np.sign(turned) == np.sign(yaw_rate)
    assert abs(turned) > 0.6 * abs(expected)
