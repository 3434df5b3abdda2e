"""scale_gait: Froude-similar presets for robots other than the Laikago; the Laikago's presets are untouched."""

from __future__ import annotations

import math

import pytest

from envs.gaits import GAIT_PRESETS, get_gait
from envs.gaits.controller import GaitController
from envs.gaits.scaling import REFERENCE_LEG_LENGTH_M, froude_speed_mps, leg_length_ratio, scale_gait
from envs.robots import get_robot


@pytest.mark.parametrize("name", ["laikago", "laikago_fast"])
@pytest.mark.parametrize("gait", sorted(GAIT_PRESETS))
def test_laikago_presets_are_unchanged(name, gait):
    robot = get_robot(name)
    assert leg_length_ratio(robot) == 1.0
    assert scale_gait(get_gait(gait), robot) == get_gait(gait)


@pytest.mark.parametrize("name", ["a1", "aliengo", "mini_cheetah"])
@pytest.mark.parametrize("gait", sorted(GAIT_PRESETS))
def test_lengths_scale_with_leg_length_and_frequency_with_its_inverse_root(name, gait):
    robot = get_robot(name)
    spec = get_gait(gait)
    r = robot.leg_length_m / REFERENCE_LEG_LENGTH_M
    scaled = scale_gait(spec, robot)
    assert scaled.name == spec.name
    assert scaled.swing_height_m == pytest.approx(spec.swing_height_m * r)
    assert scaled.stride_frequency_hz == pytest.approx(spec.stride_frequency_hz / math.sqrt(r))
    assert scaled.duty_factor == spec.duty_factor and scaled.phase_offsets == spec.phase_offsets
    if spec.body_height_m is None:
        assert scaled.body_height_m is None
    else:
        assert scaled.body_height_m == pytest.approx(spec.body_height_m * r)
    # Dynamic similarity: at the Froude-scaled speed the stride length (v / f) scales like every other length.
    v0, v = 0.5, froude_speed_mps(robot, 0.5)
    assert v**2 / robot.leg_length_m == pytest.approx(v0**2 / REFERENCE_LEG_LENGTH_M)
    assert (v / scaled.stride_frequency_hz) == pytest.approx(r * v0 / spec.stride_frequency_hz)


def test_gait_controller_uses_the_scaled_spec():
    robot = get_robot("a1")
    controller = GaitController(robot, get_gait("trot"), action_scale=0.6)
    assert controller.spec == scale_gait(get_gait("trot"), robot)
    assert controller.generator.spec is controller.spec
