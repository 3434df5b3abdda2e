"""Gait analysis on synthetic contacts: classes, phase offsets, duty factor, stride, debouncing, aerial fraction."""

from __future__ import annotations

import math

import numpy as np
import pytest

from envs import metrics
from tests.metrics_helpers import GAIT_TEMPLATES, SAMPLE_RATE_HZ, gait_contacts, make_rollout

# --- gait analysis ------------------------------------------------------------------------


@pytest.mark.parametrize("gait", sorted(GAIT_TEMPLATES))
def test_template_gaits_classify_and_offsets_match(gait):
    offsets, duty = GAIT_TEMPLATES[gait]
    contacts, time_s = gait_contacts(offsets, duty)
    measured = metrics.phase_offsets(contacts, time_s)
    assert measured[0] == 0.0
    assert np.all(metrics.circular_distance_cycles(measured, offsets) <= 0.02)
    assert metrics.classify_gait(contacts, time_s) == gait


def test_mirrored_walk_classifies_as_walk():
    contacts, time_s = gait_contacts((0.0, 0.5, 0.75, 0.25), 0.75)
    assert metrics.classify_gait(contacts, time_s) == "walk"


def test_walk_sequence_with_low_duty_factor_is_not_walk():
    contacts, time_s = gait_contacts((0.0, 0.5, 0.25, 0.75), 0.4)
    assert metrics.classify_gait(contacts, time_s) == "irregular"


@pytest.mark.parametrize("offsets", [(0.0, 0.15, 0.5, 0.65), (0.0, 0.15, 0.65, 0.5)])
def test_transverse_and_rotary_gallop(offsets):
    contacts, time_s = gait_contacts(offsets, 0.3, freq_hz=2.0)
    assert metrics.classify_gait(contacts, time_s) == "gallop"


def test_circular_mean_across_zero():
    assert metrics.circular_mean_cycles([0.98, 0.02]) == pytest.approx(0.0, abs=1e-12)
    assert metrics.circular_mean_cycles([0.9, 0.0]) == pytest.approx(0.95)
    assert math.isnan(metrics.circular_mean_cycles([0.0, 0.5]))  # cancels: no mean direction
    assert math.isnan(metrics.circular_mean_cycles([]))


def test_offsets_near_cycle_boundary_classify_by_circular_distance():
    # RL at 0.97 is 0.03 from the trot template's 0.0; a linear distance would say 0.97.
    assert metrics.classify_offsets([0.0, 0.53, 0.46, 0.97], 0.6) == "trot"
    assert metrics.classify_offsets([0.0, 0.03, 0.99, 0.02], 0.5) == "pronk"
    assert metrics.classify_offsets([0.0, 0.5, 0.5, math.nan], 0.6) == "irregular"


def test_phase_offset_is_circular_mean_of_jittered_touchdowns():
    # FL touches down alternately 0.02 cycles before and after FR: mean offset 0.0, not 0.5.
    period_samples = 100
    n = 10 * period_samples
    contacts = np.zeros((n, 4), dtype=bool)
    for cycle, start in enumerate(range(period_samples, n - period_samples, period_samples)):
        fl_start = start + (-2 if cycle % 2 else 2)  # first FL touch-down follows FR's
        contacts[start:start + 50, [0, 2, 3]] = True
        contacts[fl_start:fl_start + 50, 1] = True
    time_s = np.arange(n) / SAMPLE_RATE_HZ
    offsets = metrics.phase_offsets(contacts, time_s, stride_period=1.0)
    assert offsets[1] == pytest.approx(0.0, abs=1e-9)


def test_exact_duty_factor():
    n = 100
    contacts = np.zeros((n, 4), dtype=bool)
    contacts[:, 0] = True  # always down
    contacts[:30, 1] = True  # 30 of 100 samples
    contacts[::4, 2] = True  # 25 of 100 samples
    np.testing.assert_allclose(metrics.duty_factors(contacts), [1.0, 0.3, 0.25, 0.0])


def test_stride_frequency_of_2hz_pattern():
    contacts, time_s = gait_contacts((0.0, 0.5, 0.5, 0.0), 0.5, freq_hz=2.0)
    assert metrics.stride_frequency_hz(contacts, time_s) == pytest.approx(2.0)
    assert metrics.stride_period_s(contacts, time_s) == pytest.approx(0.5)


def test_stride_length_is_speed_over_frequency():
    contacts, time_s = gait_contacts((0.0, 0.5, 0.5, 0.0), 0.5, freq_hz=2.0)
    n = len(time_s)
    vel = np.tile([0.8, 0.0, 0.0], (n, 1))
    rollout = make_rollout(n, foot_contacts=contacts, base_lin_vel_body=vel)
    assert metrics.stride_length_m(rollout) == pytest.approx(0.4)  # 0.8 m/s / 2 Hz


def test_touchdowns_and_footfall_segments():
    contacts = np.zeros((10, 4), dtype=bool)
    contacts[0:3, 0] = True  # in contact at start: no observed touch-down
    contacts[5:8, 0] = True
    contacts[7:, 1] = True  # runs to the end
    time_s = np.arange(10) / SAMPLE_RATE_HZ
    tds = metrics.touchdown_times(contacts, time_s)
    np.testing.assert_allclose(tds[0], [0.05])
    np.testing.assert_allclose(tds[1], [0.07])
    assert tds[2].size == 0 and tds[3].size == 0
    segments = metrics.footfall_segments(contacts, time_s)
    np.testing.assert_allclose(segments[0], [(0.0, 0.03), (0.05, 0.08)])
    np.testing.assert_allclose(segments[1], [(0.07, 0.10)])
    assert segments[2] == [] and segments[3] == []


def test_no_touchdowns_standing_or_irregular():
    n = 200
    time_s = np.arange(n) / SAMPLE_RATE_HZ
    standing = np.ones((n, 4), dtype=bool)
    assert metrics.classify_gait(standing, time_s) == "standing"
    airborne = np.zeros((n, 4), dtype=bool)
    assert metrics.classify_gait(airborne, time_s) == "irregular"
    assert np.all(np.isnan(metrics.phase_offsets(standing, time_s)))
    assert math.isnan(metrics.stride_frequency_hz(standing, time_s))
    summary = metrics.summarize(make_rollout(n))
    assert summary["gait"] == "standing"
    assert math.isnan(summary["stride_length_m"]) and math.isnan(summary["swing_clearance_m"])


def test_debounce_removes_landing_bounces_but_keeps_real_steps():
    from envs.gait_analysis import debounce_contacts, stride_frequency_hz

    t = np.arange(500) * 0.02  # 50 Hz, 10 s
    phase = (t * 2.0) % 1.0  # 2 Hz stride, duty 0.6
    contacts = np.repeat((phase < 0.6)[:, None], 4, axis=1)
    bouncy = contacts.copy()
    touchdown = np.flatnonzero(np.diff(contacts[:, 0].astype(int)) == 1) + 1
    bouncy[touchdown + 1, :] = False  # one-sample lift right after each landing
    assert stride_frequency_hz(bouncy, t) > 2.5  # the bounces look like extra steps
    cleaned = debounce_contacts(bouncy, t, 0.05)
    np.testing.assert_array_equal(cleaned, contacts)
    assert stride_frequency_hz(cleaned, t) == pytest.approx(2.0, rel=1e-6)
    blip = contacts.copy()
    blip[touchdown[0] - 5, 1] = True  # a single-sample touch in mid-swing
    np.testing.assert_array_equal(debounce_contacts(blip, t, 0.05), contacts)


# --- aerial fraction ------------------------------------------------------------------------


@pytest.mark.parametrize("offsets, duty, expected", [
    ((0.0, 0.0, 0.0, 0.0), 0.6, 0.4),  # pronk: all four down for 60% of the stride, flight for 40%
    ((0.0, 0.0, 0.5, 0.5), 0.35, 0.3),  # bound: two flights of 0.15 cycle between the pairs' stances
    ((0.0, 0.5, 0.5, 0.0), 0.4, 0.2),  # a running trot: two flights of 0.1 cycle
    ((0.0, 0.5, 0.5, 0.0), 0.6, 0.0),  # walking trot: the pairs' stances overlap, never airborne
    ((0.0, 0.5, 0.25, 0.75), 0.75, 0.0),  # walk
])
def test_aerial_fraction_of_ideal_gaits(offsets, duty, expected):
    contacts, _ = gait_contacts(offsets, duty, freq_hz=1.0)
    # 100 samples per stride: each flight's edges can land one sample either way (up to two flights a stride).
    assert metrics.aerial_fraction(contacts) == pytest.approx(expected, abs=0.021)


def test_aerial_fraction_counts_samples_with_no_foot_down_and_handles_edges():
    contacts = np.ones((10, 4), dtype=bool)
    contacts[2:5] = False  # 3 of 10 samples airborne
    contacts[7, 1:] = False  # one foot still down: not airborne
    assert metrics.aerial_fraction(contacts) == pytest.approx(0.3)
    assert math.isnan(metrics.aerial_fraction(np.zeros((0, 4), dtype=bool)))
    with pytest.raises(ValueError, match="expected"):
        metrics.aerial_fraction(np.zeros((5, 3), dtype=bool))


def test_summarize_reports_the_aerial_fraction_of_debounced_windowed_contacts():
    # A pronk at 2 Hz with duty 0.6 (0.2 s flights) whose landings bounce for two samples (20 ms): a bounce is
    # not a flight; samples before the gait window (standing still) are not counted.
    contacts, time_s = gait_contacts((0.0, 0.0, 0.0, 0.0), 0.6, freq_hz=2.0)
    contacts[time_s < 1.0] = True
    touchdowns = np.flatnonzero(np.diff(contacts[:, 0].astype(int)) == 1) + 1
    bouncy = contacts.copy()
    bouncy[touchdowns[:, None] + [1, 2]] = False
    window = time_s >= 1.0
    clean = metrics.aerial_fraction(contacts[window])
    assert clean == pytest.approx(0.4, abs=0.021)  # one sample per stride either way
    assert metrics.aerial_fraction(bouncy[window]) > clean + 0.03  # raw contacts: bounces look like flight
    summary = metrics.summarize(make_rollout(len(time_s), foot_contacts=bouncy), gait_window_start_s=1.0)
    assert summary["aerial_fraction"] == pytest.approx(clean, abs=1e-12)
    assert metrics.summarize(make_rollout(100))["aerial_fraction"] == 0.0  # standing
