"""Tests for envs.gaits.spec."""

from __future__ import annotations

import math
import types

import pytest

from envs.gaits import BODY_HEIGHT_RANGE_M, GAIT_PRESETS, LEG_NAMES, GaitSpec, get_gait

VALID = dict(name="test", stride_frequency_hz=2.0, duty_factor=0.6,
             phase_offsets=(0.0, 0.5, 0.5, 0.0), swing_height_m=0.07)


def make(**changes) -> GaitSpec:
    return GaitSpec(**{**VALID, **changes})


def test_leg_names():
    assert LEG_NAMES == ("FR", "FL", "RR", "RL")


def test_presets_exist_and_are_read_only():
    assert sorted(GAIT_PRESETS) == ["bound", "gallop", "pace", "pronk", "trot", "walk"]
    assert isinstance(GAIT_PRESETS, types.MappingProxyType)
    with pytest.raises(TypeError):
        GAIT_PRESETS["trot"] = make()  # type: ignore[index]
    for name, spec in GAIT_PRESETS.items():
        assert spec.name == name
        assert get_gait(name) is spec
        # Re-validates from scratch.
        assert GaitSpec(**spec.to_dict()) == spec


@pytest.mark.parametrize("name", sorted(GAIT_PRESETS))
def test_preset_values_in_valid_ranges(name):
    # Generic properties only: the numbers themselves are tuned in simulation.
    spec = GAIT_PRESETS[name]
    assert len(spec.phase_offsets) == 4
    assert all(0.0 <= off < 1.0 for off in spec.phase_offsets)
    lo, hi = BODY_HEIGHT_RANGE_M
    assert spec.body_height_m is None or lo <= spec.body_height_m <= hi


def _cycle_diff(a: float, b: float) -> float:
    """``(b - a) mod 1`` mapped to [-0.5, 0.5): signed circular phase difference in cycles."""
    return (b - a + 0.5) % 1.0 - 0.5


def _offsets(name: str) -> dict[str, float]:
    return dict(zip(LEG_NAMES, get_gait(name).phase_offsets, strict=True))


def test_trot_diagonal_pairs():
    off = _offsets("trot")
    assert _cycle_diff(off["FR"], off["RL"]) == pytest.approx(0.0)
    assert _cycle_diff(off["FL"], off["RR"]) == pytest.approx(0.0)
    assert abs(_cycle_diff(off["FR"], off["FL"])) == pytest.approx(0.5)


def test_pace_lateral_pairs():
    off = _offsets("pace")
    assert _cycle_diff(off["FR"], off["RR"]) == pytest.approx(0.0)
    assert _cycle_diff(off["FL"], off["RL"]) == pytest.approx(0.0)
    assert abs(_cycle_diff(off["FR"], off["FL"])) == pytest.approx(0.5)


def test_bound_front_and_rear_pairs():
    off = _offsets("bound")
    assert _cycle_diff(off["FR"], off["FL"]) == pytest.approx(0.0)
    assert _cycle_diff(off["RR"], off["RL"]) == pytest.approx(0.0)
    assert abs(_cycle_diff(off["FR"], off["RR"])) > 1e-6  # front pair and rear pair alternate


def test_pronk_all_legs_together():
    off = _offsets("pronk")
    for leg in LEG_NAMES[1:]:
        assert _cycle_diff(off["FR"], off[leg]) == pytest.approx(0.0)


def test_walk_is_lateral_sequence():
    off = dict(zip(LEG_NAMES, get_gait("walk").phase_offsets, strict=True))
    # Touch-down order starting at RR: RR -> FR -> RL -> FL, a quarter cycle apart.
    order = ["RR", "FR", "RL", "FL"]
    for a, b in zip(order, order[1:], strict=False):
        assert (off[b] - off[a]) % 1.0 == pytest.approx(0.25)


def test_gallop_is_rotary():
    off = dict(zip(LEG_NAMES, get_gait("gallop").phase_offsets, strict=True))
    assert off["FR"] < off["FL"] < off["RL"] < off["RR"]


def test_get_gait_unknown_lists_valid_names():
    with pytest.raises(ValueError) as err:
        get_gait("canter")
    assert str(err.value) == "unknown gait 'canter'; valid gaits: bound, gallop, pace, pronk, trot, walk"


def test_get_gait_case_insensitive():
    assert get_gait(" Trot ") is GAIT_PRESETS["trot"]


def test_offsets_converted_to_tuple_of_float():
    spec = make(phase_offsets=[0, 0.5, 0.5, 0])
    assert spec.phase_offsets == (0.0, 0.5, 0.5, 0.0)
    assert isinstance(spec.phase_offsets, tuple)
    assert all(type(x) is float for x in spec.phase_offsets)
    assert type(make(stride_frequency_hz=2).stride_frequency_hz) is float


@pytest.mark.parametrize("field,value,expect_in_msg", [
    ("duty_factor", 0.0, "(0, 1)"),
    ("duty_factor", 1.0, "(0, 1)"),
    ("duty_factor", math.nan, "(0, 1)"),
    ("duty_factor", "0.5", "(0, 1)"),
    ("duty_factor", True, "(0, 1)"),
    ("phase_offsets", (0.0, 0.5, 1.0, 0.0), "[0, 1)"),
    ("phase_offsets", (0.0, -0.1, 0.5, 0.0), "[0, 1)"),
    ("phase_offsets", (0.0, 0.5, 0.5), "length 4"),
    ("phase_offsets", "abcd", "[0, 1)"),
    ("phase_offsets", (0.0, 0.5, math.inf, 0.0), "[0, 1)"),
    ("stride_frequency_hz", 0.0, "(0, 5.0]"),
    ("stride_frequency_hz", 5.5, "(0, 5.0]"),
    ("stride_frequency_hz", -1.0, "(0, 5.0]"),
    ("swing_height_m", -0.01, "[0.0, 0.25]"),
    ("swing_height_m", 0.3, "[0.0, 0.25]"),
    ("body_height_m", 2.0, "[0.15, 0.7]"),
    ("body_height_m", 0.1, "[0.15, 0.7]"),
    ("body_height_m", math.nan, "[0.15, 0.7]"),
    ("name", "", "non-empty"),
    ("name", "   ", "non-empty"),
    ("name", 3, "non-empty"),
])
def test_invalid_field_raises_naming_field(field, value, expect_in_msg):
    with pytest.raises(ValueError) as err:
        make(**{field: value})
    msg = str(err.value)
    assert field in msg
    assert expect_in_msg in msg
    if field != "phase_offsets" or expect_in_msg == "length 4":
        assert repr(value) in msg or str(value) in msg


def test_offset_error_names_leg():
    with pytest.raises(ValueError, match=r"phase_offsets\[RR\].*1\.0"):
        make(phase_offsets=(0.0, 0.5, 1.0, 0.0))


def test_boundary_values_accepted():
    make(stride_frequency_hz=5.0)
    make(swing_height_m=0.0)
    make(swing_height_m=0.25)
    make(body_height_m=0.15)
    make(body_height_m=0.7)
    make(phase_offsets=(0.0, 0.999, 0.0, 0.0))


def test_frozen():
    spec = make()
    with pytest.raises(AttributeError):
        spec.duty_factor = 0.5  # type: ignore[misc]


def test_with_changes_revalidates():
    spec = make()
    changed = spec.with_changes(duty_factor=0.5, body_height_m=0.4)
    assert changed.duty_factor == 0.5 and changed.body_height_m == 0.4
    assert spec.duty_factor == 0.6  # original untouched
    with pytest.raises(ValueError, match="duty_factor"):
        spec.with_changes(duty_factor=1.5)


def test_with_changes_unknown_key_lists_fields():
    with pytest.raises(ValueError) as err:
        make().with_changes(duty=0.5)
    msg = str(err.value)
    assert "duty" in msg
    for field in ("name", "stride_frequency_hz", "duty_factor", "phase_offsets",
                  "swing_height_m", "body_height_m"):
        assert field in msg


@pytest.mark.parametrize("spec", [make(), make(body_height_m=0.42), *GAIT_PRESETS.values()])
def test_dict_round_trip(spec):
    d = spec.to_dict()
    assert isinstance(d["phase_offsets"], list)
    assert GaitSpec.from_dict(d) == spec


def test_from_dict_unknown_key_lists_valid_keys():
    d = {**make().to_dict(), "speed": 1.0}
    with pytest.raises(ValueError) as err:
        GaitSpec.from_dict(d)
    msg = str(err.value)
    assert "speed" in msg and "valid keys" in msg
    for key in make().to_dict():
        assert key in msg


def test_from_dict_missing_key_and_defaults():
    d = make().to_dict()
    del d["body_height_m"]
    assert GaitSpec.from_dict(d).body_height_m is None
    del d["duty_factor"]
    with pytest.raises(ValueError, match="duty_factor"):
        GaitSpec.from_dict(d)


def test_from_dict_invalid_value():
    with pytest.raises(ValueError, match="swing_height_m"):
        GaitSpec.from_dict({**make().to_dict(), "swing_height_m": -1.0})


def test_derived_durations():
    spec = make()
    assert spec.period_s == pytest.approx(0.5)
    assert spec.stance_duration_s == pytest.approx(0.3)
