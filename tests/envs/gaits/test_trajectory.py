"""Tests for envs.gaits.trajectory (hand-computed expectations)."""

from __future__ import annotations

import numpy as np
import pytest

from envs.gaits import (
    FootTrajectoryGenerator,
    GaitSpec,
    get_gait,
    leg_phases,
    minimum_jerk,
    stance_mask,
    swing_height_profile,
)

FR, FL, RR, RL = range(4)
# Laikago-like geometry: hips at (+-0.21, +-0.07, 0); feet 0.04 m outboard, 0.45 m below.
HIPS = np.array([[0.21, -0.07, 0.0], [0.21, 0.07, 0.0], [-0.21, -0.07, 0.0], [-0.21, 0.07, 0.0]])
NOMINAL = np.array([[0.0, -0.04, -0.45], [0.0, 0.04, -0.45], [0.0, -0.04, -0.45], [0.0, 0.04, -0.45]])
ZERO = np.zeros(3)

# Explicit trot-like spec for hand-computed numbers (independent of the tuned presets):
# 2 Hz, duty 0.6 -> period 0.5 s, stance 0.3 s; diagonal pairs; swing apex 0.07 m; standing height.
TROT = dict(name="test_trot", stride_frequency_hz=2.0, duty_factor=0.6,
            phase_offsets=(0.0, 0.5, 0.5, 0.0), swing_height_m=0.07)


def make_spec(**changes) -> GaitSpec:
    return GaitSpec(**{**TROT, **changes})


def make_gen(spec: GaitSpec | None = None, **kw) -> FootTrajectoryGenerator:
    return FootTrajectoryGenerator(spec or make_spec(), HIPS, NOMINAL, **kw)


def all_phases(phase: float) -> np.ndarray:
    return np.full(4, phase)


# ------------------------------------------------------------------ phases
def test_trot_phases_at_zero_are_offsets():
    spec = get_gait("trot")
    np.testing.assert_allclose(leg_phases(0.0, spec), spec.phase_offsets)


def test_trot_phases_repeat_after_one_period_and_diagonals_match():
    spec = get_gait("trot")
    for t in (0.0, 0.13, 0.37):
        p, q = leg_phases(t, spec), leg_phases(t + spec.period_s, spec)
        d = np.abs((p - q + 0.5) % 1.0 - 0.5)  # circular distance
        assert np.all(d < 1e-12)
        assert p[FR] == pytest.approx(p[RL]) and p[FL] == pytest.approx(p[RR])
        assert np.all((p >= 0.0) & (p < 1.0))


def test_leg_phases_formula_and_phase0():
    spec = make_spec(stride_frequency_hz=1.0, phase_offsets=(0.0, 0.5, 0.75, 0.25))
    # (0.1 + 0.3 * 1 Hz - offset) % 1
    np.testing.assert_allclose(leg_phases(0.3, spec, phase0=0.1), [0.4, 0.9, 0.65, 0.15])


def test_each_leg_touches_down_at_its_offset():
    """GaitSpec's offsets are touch-down times: leg i's phase passes 0 (touch-down) at offset_i cycles."""
    spec = make_spec(stride_frequency_hz=1.0, phase_offsets=(0.0, 0.5, 0.75, 0.25))
    for leg, offset in enumerate(spec.phase_offsets):
        assert leg_phases(offset, spec)[leg] == pytest.approx(0.0, abs=1e-12)


def test_leg_phases_vectorized_and_in_range():
    spec = get_gait("gallop")
    t = np.linspace(-3.0, 3.0, 1001)
    p = leg_phases(t, spec)
    assert p.shape == (1001, 4)
    assert np.all((p >= 0.0) & (p < 1.0))
    np.testing.assert_allclose(p[500], leg_phases(float(t[500]), spec))
    # Tiny negative value must wrap to 0, not 1.0.
    assert leg_phases(-1e-20, make_spec(phase_offsets=(0.0, 0.0, 0.0, 0.0)))[0] == 0.0


def test_leg_phases_rejects_nan():
    with pytest.raises(ValueError, match="time_s"):
        leg_phases(float("nan"), get_gait("trot"))


def test_stance_mask():
    m = stance_mask(np.array([0.0, 0.59, 0.6, 0.99]), 0.6)
    assert m.dtype == bool
    assert m.tolist() == [True, True, False, False]
    with pytest.raises(ValueError, match="duty"):
        stance_mask(np.zeros(4), 1.0)


# ------------------------------------------------------------- zero command
def test_profiles():
    s = np.array([0.0, 0.5, 1.0])
    np.testing.assert_allclose(minimum_jerk(s), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(swing_height_profile(s), [0.0, 1.0, 0.0], atol=1e-15)


def test_zero_command_stance_stays_at_nominal():
    gen = make_gen()
    for phase in np.linspace(0.0, 0.599, 13):
        np.testing.assert_allclose(gen.foot_targets(all_phases(phase), ZERO), NOMINAL, atol=1e-12)


def test_swing_apex_and_boundaries():
    gen = make_gen()  # duty 0.6, swing 0.07
    apex = gen.foot_targets(all_phases(0.6 + 0.5 * 0.4), ZERO)
    np.testing.assert_allclose(apex[:, 2], -0.45 + 0.07, atol=1e-12)
    np.testing.assert_allclose(apex[:, :2], NOMINAL[:, :2], atol=1e-12)
    for phase in (0.0, 0.6, 0.6 - 1e-9, 1.0 - 1e-9):
        np.testing.assert_allclose(gen.foot_targets(all_phases(phase), ZERO)[:, 2], -0.45, atol=1e-6)


def _max_jump(gen: FootTrajectoryGenerator, command, step: float) -> float:
    phases = np.arange(0.0, 1.0 + step / 2, step) % 1.0  # wraps back to 0 at the end
    pos = gen.foot_targets(np.repeat(phases[:, None], 4, axis=1), np.asarray(command, dtype=float))
    assert pos.shape == (len(phases), 4, 3)
    return float(np.linalg.norm(np.diff(pos, axis=0), axis=-1).max())


@pytest.mark.parametrize("gait", ["walk", "trot", "pace", "bound", "gallop", "pronk"])
def test_zero_command_trajectory_continuous_over_whole_cycle(gait):
    spec = get_gait(gait)
    gen = make_gen(spec)
    # At zero command only z moves, and only in swing: z = h * (1 - cos 2 pi s) / 2 with
    # s = (phase - duty) / (1 - duty). Its slope is pi * h * sin(2 pi s) per unit s, so
    # |dz/dphase| <= pi * h / (1 - duty); a chord over one phase step cannot exceed slope * step.
    slope = np.pi * spec.swing_height_m / (1.0 - spec.duty_factor)
    for step in (1e-3, 1e-4):
        jump = _max_jump(gen, ZERO, step)
        assert jump <= slope * step + 1e-12
        # The bound is tight (reached near s = 1/4), so it is not a loose tolerance.
        assert jump >= 0.99 * slope * step


@pytest.mark.parametrize("gait", ["walk", "trot", "pace", "bound", "gallop", "pronk"])
@pytest.mark.parametrize("command", [(0.5, 0.0, 0.0), (0.2, -0.1, 0.5), (9.0, 9.0, 9.0)])
def test_commanded_trajectory_continuous_over_whole_cycle(gait, command):
    spec = get_gait(gait)
    gen = make_gen(spec)
    # Largest smooth slope |dp/dphase|: stance |S|/duty, swing 1.875|S|/(1-duty) (min-jerk peak)
    # plus pi*h/(1-duty) (height profile peak). A jump would break this bound.
    s = np.linalg.norm(gen.stride_vectors(np.array(command)), axis=-1).max()
    slope = max(s / spec.duty_factor,
                (1.875 * s + np.pi * spec.swing_height_m) / (1.0 - spec.duty_factor))
    for step in (1e-3, 1e-4):
        assert _max_jump(gen, command, step) <= 1.01 * slope * step


def test_body_height_priority():
    spec = make_spec(body_height_m=0.4)  # duty 0.6, swing 0.07 -> apex at phase 0.8
    gen = make_gen(spec)
    np.testing.assert_allclose(gen.foot_targets(all_phases(0.1), ZERO)[:, 2], -0.4)
    np.testing.assert_allclose(gen.foot_targets(all_phases(0.1), ZERO, body_height_m=0.5)[:, 2], -0.5)
    apex = gen.foot_targets(all_phases(0.8), ZERO, body_height_m=0.5)
    np.testing.assert_allclose(apex[:, 2], -0.5 + 0.07)
    with pytest.raises(ValueError, match="body_height_m"):
        gen.foot_targets(all_phases(0.1), ZERO, body_height_m=2.0)


# ---------------------------------------------------------- forward command
def test_forward_stride_raibert_placement():
    gen = make_gen()  # 2 Hz, duty 0.6 -> T_st = 0.3 s; vx = 0.5 -> S = 0.15 m
    cmd = np.array([0.5, 0.0, 0.0])
    np.testing.assert_allclose(gen.stride_vectors(cmd), [[0.15, 0.0]] * 4)
    td = gen.foot_targets(all_phases(0.0), cmd)
    np.testing.assert_allclose(td[:, 0], 0.075, atol=1e-12)
    np.testing.assert_allclose(td[:, 1], NOMINAL[:, 1], atol=1e-12)
    lo = gen.foot_targets(all_phases(0.6 - 1e-12), cmd)
    np.testing.assert_allclose(lo[:, 0], -0.075, atol=1e-9)
    lo_swing = gen.foot_targets(all_phases(0.6), cmd)
    np.testing.assert_allclose(lo_swing[:, 0], -0.075, atol=1e-12)
    mid_swing = gen.foot_targets(all_phases(0.8), cmd)
    np.testing.assert_allclose(mid_swing[:, 0], 0.0, atol=1e-12)


def test_stance_foot_velocity_cancels_body_velocity():
    spec = make_spec()
    gen = make_gen(spec)
    cmd = np.array([0.5, 0.0, 0.0])
    dt = 1e-3
    t = np.arange(0.0, 0.5, dt)
    traj = gen.trajectory(t, cmd)  # (N, 4, 3)
    assert traj.shape == (len(t), 4, 3)
    phases = leg_phases(t, spec)
    vel = np.diff(traj[:, :, 0], axis=0) / dt
    both_stance = stance_mask(phases[:-1], spec.duty_factor) & stance_mask(phases[1:], spec.duty_factor)
    both_stance &= phases[1:] > phases[:-1]  # same stance interval
    assert both_stance.sum() > 200
    np.testing.assert_allclose(vel[both_stance], -0.5, atol=1e-9)


def test_lateral_command():
    gen = make_gen()
    np.testing.assert_allclose(gen.stride_vectors(np.array([0.0, 0.2, 0.0])), [[0.0, 0.06]] * 4)


# -------------------------------------------------------------- yaw command
def test_yaw_rate_strides_signs():
    gen = make_gen()
    wz = 1.0  # rad/s, turning left (counter-clockwise seen from above)
    S = gen.stride_vectors(np.array([0.0, 0.0, wz]))
    # x stride = -w * y_hip * T_st: right legs (y<0) step forward, left legs backward.
    np.testing.assert_allclose(S[:, 0], [0.021, -0.021, 0.021, -0.021])
    # y stride = w * x_hip * T_st: front legs step left, rear legs right.
    np.testing.assert_allclose(S[:, 1], [0.063, 0.063, -0.063, -0.063])
    td = gen.foot_targets(all_phases(0.0), np.array([0.0, 0.0, wz]))
    assert td[FR, 0] > 0 and td[RR, 0] > 0 and td[FL, 0] < 0 and td[RL, 0] < 0
    assert td[FR, 1] > NOMINAL[FR, 1] and td[RR, 1] < NOMINAL[RR, 1]


# ------------------------------------------------------ clamping, validation
def test_clamping_at_huge_command():
    gen = make_gen(max_step_length_m=0.2)
    S = gen.stride_vectors(np.array([100.0, -100.0, 0.0]))
    np.testing.assert_allclose(S, [[0.2, -0.2]] * 4)
    td = gen.foot_targets(all_phases(0.0), np.array([100.0, -100.0, 50.0]))
    assert np.all(np.abs(td[:, :2] - NOMINAL[:, :2]) <= 0.1 + 1e-12)
    assert np.all(np.isfinite(td))


@pytest.mark.parametrize("command", [[np.nan, 0.0, 0.0], [0.0, np.inf, 0.0], [0.1, 0.2], [[0.0, 0.0, 0.0]], "fast"])
def test_bad_command_raises(command):
    with pytest.raises(ValueError, match="command"):
        make_gen().foot_targets(all_phases(0.0), command)


@pytest.mark.parametrize("phases", [np.zeros(3), np.array([0.0, np.nan, 0.0, 0.0]), np.float64(0.2)])
def test_bad_phases_raise(phases):
    with pytest.raises(ValueError, match="phases"):
        make_gen().foot_targets(phases, ZERO)


def test_constructor_validation():
    spec = get_gait("trot")
    with pytest.raises(ValueError, match="hip_positions_body"):
        FootTrajectoryGenerator(spec, HIPS[:3], NOMINAL)
    with pytest.raises(ValueError, match="nominal_feet_hip_frame"):
        FootTrajectoryGenerator(spec, HIPS, NOMINAL * np.nan)
    with pytest.raises(ValueError, match="max_step_length_m"):
        FootTrajectoryGenerator(spec, HIPS, NOMINAL, max_step_length_m=0.0)


def test_returned_arrays_are_fresh_and_inputs_copied():
    hips, nominal = HIPS.copy(), NOMINAL.copy()
    gen = FootTrajectoryGenerator(make_spec(), hips, nominal)  # body_height_m None -> nominal z
    nominal[:] = 99.0  # caller mutation must not leak in
    a = gen.foot_targets(all_phases(0.1), ZERO)
    a[:] = 123.0
    b = gen.foot_targets(all_phases(0.1), ZERO)
    np.testing.assert_allclose(b, NOMINAL, atol=1e-12)
    assert not np.shares_memory(a, b)
    with pytest.raises(ValueError):
        gen.nominal_feet_hip_frame[0, 0] = 1.0  # read-only
    z = gen.stance_height_m()
    z[:] = 0.0
    np.testing.assert_allclose(gen.stance_height_m(), -0.45)


def test_per_leg_phases_mix_stance_and_swing():
    gen = make_gen()  # duty 0.6, swing 0.07: phase 0 is touch-down, 0.8 is the swing apex
    out = gen.foot_targets(np.array([0.0, 0.8, 0.8, 0.0]), ZERO)
    np.testing.assert_allclose(out[[FR, RL], 2], -0.45)
    np.testing.assert_allclose(out[[FL, RR], 2], -0.45 + 0.07)
