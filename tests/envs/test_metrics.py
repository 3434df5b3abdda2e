"""Unit tests for envs.metrics / envs.gait_analysis on synthetic rollouts with hand-computed answers."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

from envs import metrics
from envs.metrics import Rollout
from tests.metrics_helpers import DT_S, SAMPLE_RATE_HZ, gait_contacts, make_rollout

# --- locomotion metrics -------------------------------------------------------------------


def test_speed_distance_and_froude():
    n = 101
    speed = 1.5
    pos = np.zeros((n, 3))
    pos[:, 0] = speed * np.arange(n) * DT_S
    pos[:, 1] = -0.2 * np.arange(n) * DT_S
    vel = np.tile([speed, 0.0, 0.0], (n, 1))
    rollout = make_rollout(n, base_position_world=pos, base_lin_vel_body=vel, hip_height_m=0.45)
    assert metrics.mean_forward_speed_mps(rollout) == pytest.approx(1.5)
    assert metrics.forward_distance_m(rollout) == pytest.approx(1.5)  # 100 steps * 0.01 s * 1.5
    assert metrics.distance_m(rollout) == pytest.approx(math.hypot(1.5, 0.2))
    assert metrics.froude_number(rollout) == pytest.approx(1.5**2 / (9.81 * 0.45))


def test_cost_of_transport_constant_power():
    n, speed, mass = 201, 0.5, 25.0
    pos = np.zeros((n, 3))
    pos[:, 0] = speed * np.arange(n) * DT_S  # 2 s -> 1.0 m
    rollout = make_rollout(
        n,
        base_position_world=pos,
        joint_torques=np.full((n, 12), 2.0),
        joint_velocities=np.full((n, 12), -3.0),  # |tau * qdot| counts negative work too
        total_mass_kg=mass,
    )
    # 12 joints * 2 N*m * 3 rad/s = 72 W over 2 s = 144 J; CoT = P / (m g v).
    assert metrics.mechanical_energy_j(rollout) == pytest.approx(144.0)
    assert metrics.cost_of_transport(rollout) == pytest.approx(72.0 / (mass * 9.81 * speed))


def test_cost_of_transport_nan_without_displacement():
    n = 50
    rollout = make_rollout(n, joint_torques=np.full((n, 12), 2.0), joint_velocities=np.full((n, 12), 3.0))
    assert math.isnan(metrics.cost_of_transport(rollout))


def test_tracking_error():
    n = 100
    vel = np.tile([0.5, 0.1, 0.0], (n, 1))
    cmd = np.tile([0.8, -0.3, 0.2], (n, 1))
    omega = np.zeros((n, 3))
    omega[: n // 2, 2] = 0.5  # |0.5 - 0.2| = 0.3 for half the time
    omega[n // 2 :, 2] = 0.0  # |0.0 - 0.2| = 0.2 for the other half
    rollout = make_rollout(n, base_lin_vel_body=vel, command=cmd, base_ang_vel_body=omega)
    assert metrics.tracking_error_xy_mps(rollout) == pytest.approx(0.5)  # ||(-0.3, 0.4)||
    assert metrics.tracking_error_yaw_radps(rollout) == pytest.approx(0.25)


def test_foot_slip_sliding_and_planted():
    n = 50
    feet = np.zeros((n, 4, 3))
    feet[:, 0, 0] = 0.1 * np.arange(n) * DT_S  # FR slides at 0.1 m/s, the rest are planted
    only_fr = np.zeros((n, 4), dtype=bool)
    only_fr[:, 0] = True
    sliding = make_rollout(n, foot_positions_world=feet, foot_contacts=only_fr)
    assert metrics.foot_slip_mps(sliding) == pytest.approx(0.1)
    planted = make_rollout(n, foot_positions_world=feet, foot_contacts=np.roll(only_fr, 1, axis=1))
    assert metrics.foot_slip_mps(planted) == 0.0
    airborne = make_rollout(n, foot_contacts=np.zeros((n, 4), dtype=bool))
    assert math.isnan(metrics.foot_slip_mps(airborne))


def test_foot_slip_ignores_swing_motion():
    n = 40
    feet = np.zeros((n, 4, 3))
    contacts = np.ones((n, 4), dtype=bool)
    contacts[10:20, 0] = False
    feet[11:20, 0, 0] = np.linspace(0.05, 0.5, 9)  # swing foot moves fast, then lands moved
    feet[20:, 0, 0] = 0.5
    rollout = make_rollout(n, foot_positions_world=feet, foot_contacts=contacts)
    assert metrics.foot_slip_mps(rollout) == 0.0


def test_swing_clearance_of_sine_lift():
    stance, swing = 20, 21
    cycle_z = np.concatenate([np.zeros(stance), 0.05 * np.sin(np.pi * np.arange(1, swing + 1) / (swing + 1))])
    cycle_contact = np.concatenate([np.ones(stance, bool), np.zeros(swing, bool)])
    reps = 4
    z = np.concatenate([np.tile(cycle_z, reps), np.zeros(stance)]) + 0.02  # ground offset cancels
    contact = np.concatenate([np.tile(cycle_contact, reps), np.ones(stance, bool)])
    n = z.size
    feet = np.zeros((n, 4, 3))
    feet[:, :, 2] = z[:, None]
    rollout = make_rollout(n, foot_positions_world=feet, foot_contacts=np.repeat(contact[:, None], 4, axis=1))
    assert metrics.swing_clearance_m(rollout) == pytest.approx(0.05)


def test_swing_clearance_skips_unfinished_swing():
    n = 30
    contacts = np.ones((n, 4), dtype=bool)
    contacts[20:, 0] = False  # lift-off but no touch-down before the end
    feet = np.zeros((n, 4, 3))
    feet[20:, 0, 2] = 0.1
    rollout = make_rollout(n, foot_positions_world=feet, foot_contacts=contacts)
    assert math.isnan(metrics.swing_clearance_m(rollout))


def test_roll_pitch_rms_and_action_smoothness():
    n = 100
    rpy = np.zeros((n, 3))
    rpy[:, 0] = np.where(np.arange(n) % 2 == 0, 0.1, -0.1)
    rpy[:, 1] = 0.05
    actions = np.zeros((n, 12))
    actions[1::2, :] = 0.5  # every step changes all 12 actions by 0.5 -> 12 * 0.25 = 3.0
    rollout = make_rollout(n, base_rpy=rpy, actions=actions)
    assert metrics.roll_rms_rad(rollout) == pytest.approx(0.1)
    assert metrics.pitch_rms_rad(rollout) == pytest.approx(0.05)
    assert metrics.action_smoothness(rollout) == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("yaw_first_deg", "yaw_last_deg", "drift_deg"),
    [(170.0, -170.0, 20.0), (-179.0, 179.0, 2.0), (10.0, 40.0, 30.0), (0.0, 180.0, 180.0), (90.0, -90.0, 180.0)],
)
def test_heading_drift_wraps(yaw_first_deg, yaw_last_deg, drift_deg):
    n = 10
    rpy = np.zeros((n, 3))
    rpy[0, 2] = math.radians(yaw_first_deg)
    rpy[-1, 2] = math.radians(yaw_last_deg)
    assert metrics.heading_drift_deg(make_rollout(n, base_rpy=rpy)) == pytest.approx(drift_deg)


def test_fall_duration_and_single_sample_edge_cases():
    fallen = make_rollout(100, fell=True, fall_time_s=0.73)
    assert metrics.time_to_fall_s(fallen) == pytest.approx(0.73)
    assert metrics.duration_s(fallen) == pytest.approx(1.0)
    assert math.isnan(metrics.time_to_fall_s(make_rollout(100)))
    single = metrics.summarize(make_rollout(1))
    assert math.isnan(single["action_smoothness"]) and math.isnan(single["foot_slip_mps"])
    assert math.isnan(single["cost_of_transport"]) and single["distance_m"] == 0.0


def test_summarize_trot_keys_and_types():
    contacts, time_s = gait_contacts((0.0, 0.5, 0.5, 0.0), 0.6)
    n = len(time_s)
    rng = np.random.default_rng(0)
    rollout = make_rollout(
        n,
        foot_contacts=contacts,
        base_lin_vel_body=np.tile([0.6, 0.0, 0.0], (n, 1)),
        actions=rng.uniform(-1.0, 1.0, (n, 12)),
    )
    summary = metrics.summarize(rollout)
    assert summary["gait"] == "trot"
    assert summary["stride_frequency_hz"] == pytest.approx(1.5, rel=0.02)
    assert summary["duty_factor_per_foot"] == pytest.approx([0.6] * 4, abs=0.01)
    assert len(summary["phase_offsets_cycles"]) == 4 and summary["phase_offsets_cycles"][0] == 0.0
    for key, value in summary.items():
        assert type(value) in (float, str, bool, list), key
        if isinstance(value, list):
            assert all(type(v) is float for v in value), key


# --- Rollout container --------------------------------------------------------------------


def test_dict_round_trip_through_npz():
    rng = np.random.default_rng(1)
    n = 20
    original = make_rollout(
        n, joint_angles=rng.normal(size=(n, 12)), foot_contacts=rng.random((n, 4)) < 0.5, fell=True, fall_time_s=0.15
    )
    for fall_time in (0.15, None):
        rollout = Rollout.from_dict({**original.to_dict(), "fall_time_s": fall_time})
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **rollout.to_dict())
        buffer.seek(0)
        with np.load(buffer) as loaded:
            restored = Rollout.from_dict(dict(loaded))
        assert restored.fall_time_s == fall_time and restored.fell is True
        assert restored.foot_contacts.dtype == bool
        np.testing.assert_array_equal(restored.joint_angles, original.joint_angles)
        np.testing.assert_array_equal(restored.foot_contacts, original.foot_contacts)
        assert restored.dt_s == DT_S and restored.total_mass_kg == 20.0


def test_from_dict_missing_field_raises():
    d = make_rollout(5).to_dict()
    del d["joint_torques"]
    with pytest.raises(ValueError, match="joint_torques"):
        Rollout.from_dict(d)


@pytest.mark.parametrize(
    ("field", "bad_value", "expected"),
    [
        ("joint_torques", np.zeros((10, 11)), r"joint_torques has shape \(10, 11\), expected \(10, 12\)"),
        ("foot_positions_world", np.zeros((10, 4)), r"foot_positions_world has shape \(10, 4\), expected \(10, 4, 3\)"),
        ("base_rpy", np.zeros((9, 3)), r"base_rpy has shape \(9, 3\), expected \(10, 3\)"),
        ("foot_contacts", np.zeros((10, 3), bool), r"foot_contacts has shape \(10, 3\), expected \(10, 4\)"),
        ("time_s", np.zeros((10, 1)), r"time_s has shape \(10, 1\)"),
        ("dt_s", 0.0, "dt_s"),
        ("hip_height_m", -0.5, "hip_height_m"),
    ],
)
def test_bad_shapes_raise_value_error_naming_field(field, bad_value, expected):
    with pytest.raises(ValueError, match=expected):
        make_rollout(10, **{field: bad_value})


def test_non_increasing_time_raises():
    time_s = np.arange(10) / SAMPLE_RATE_HZ
    time_s[5] = time_s[4]
    with pytest.raises(ValueError, match="time_s"):
        make_rollout(10, time_s=time_s)


def test_rollout_is_frozen_and_read_only():
    rollout = make_rollout(5)
    with pytest.raises(AttributeError):
        rollout.dt_s = 0.02  # type: ignore[misc]
    with pytest.raises(ValueError):
        rollout.joint_torques[0, 0] = 1.0


def test_metrics_module_is_pure_numpy():
    import ast
    import pathlib

    allowed = {"__future__", "collections.abc", "dataclasses", "math", "typing", "numpy", "envs.gait_analysis",
               "envs.path_metrics", "envs.metrics", "envs.numerics", "envs.robots.description"}
    for name in ("metrics.py", "gait_analysis.py", "path_metrics.py"):
        tree = ast.parse((pathlib.Path(metrics.__file__).parent / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert {a.name for a in node.names} <= allowed, (name, ast.dump(node))
            elif isinstance(node, ast.ImportFrom):
                assert node.module in allowed, (name, node.module)


def test_heading_change_counts_full_turns_and_sign():
    from envs.metrics import heading_change_deg, mean_yaw_rate_radps

    n = 200
    t = np.arange(n) * 0.05
    yaw_true = 0.5 * t  # 0.5 rad/s for 10 s: 5 rad = 286.5 deg, wraps through +-pi
    rollout = _heading_rollout(t, yaw_true)
    assert heading_change_deg(rollout) == pytest.approx(np.degrees(yaw_true[-1]), rel=1e-6)
    assert mean_yaw_rate_radps(rollout) == pytest.approx(0.5)
    assert heading_change_deg(_heading_rollout(t, -yaw_true)) == pytest.approx(-np.degrees(yaw_true[-1]), rel=1e-6)


def _heading_rollout(t, yaw):
    from envs.metrics import Rollout

    n = t.size
    rpy = np.zeros((n, 3))
    rpy[:, 2] = (yaw + np.pi) % (2 * np.pi) - np.pi  # what PyBullet reports: wrapped
    ang = np.zeros((n, 3))
    ang[:, 2] = np.gradient(yaw, t)
    zeros3 = np.zeros((n, 3))
    return Rollout(time_s=t, dt_s=float(t[1] - t[0]), base_position_world=zeros3, base_rpy=rpy,
                   base_lin_vel_world=zeros3, base_lin_vel_body=zeros3, base_ang_vel_body=ang, command=zeros3,
                   joint_angles=np.zeros((n, 12)), joint_velocities=np.zeros((n, 12)),
                   joint_torques=np.zeros((n, 12)), actions=np.zeros((n, 12)), foot_contacts=np.ones((n, 4), bool),
                   foot_normal_forces=np.zeros((n, 4)), foot_positions_world=np.zeros((n, 4, 3)),
                   total_mass_kg=25.0, hip_height_m=0.44, fell=False, fall_time_s=None)


def test_path_error_is_zero_on_the_commanded_path_and_the_offset_beside_it():
    import dataclasses

    t = np.arange(1, 201) * 0.05
    yaw = 0.5 * (t - 0.05)
    radius = 0.4 / 0.5
    x, y = radius * np.sin(yaw), radius * (1 - np.cos(yaw))  # a left circle at 0.4 m/s, 0.5 rad/s from the origin
    base = make_rollout(len(t))
    on_path = dataclasses.replace(base, time_s=t, dt_s=0.05,
                                  base_position_world=np.column_stack([x, y, np.full_like(x, 0.45)]),
                                  base_rpy=np.column_stack([np.zeros_like(t), np.zeros_like(t), yaw]),
                                  command=np.tile([0.4, 0.0, 0.5], (len(t), 1)))
    assert metrics.path_error_m(on_path) < 0.01
    # the robot's circle 0.1 m to the right of the commanded one (it starts on the path): 0 to 0.1 m away
    offset = np.where(np.arange(len(t))[:, None] > 0, [0.0, -0.1, 0.0], 0.0)
    shifted = dataclasses.replace(on_path, base_position_world=on_path.base_position_world + offset)
    assert 0.05 < metrics.path_error_m(shifted) < 0.1
    # lagging behind along the path costs nothing
    late = dataclasses.replace(on_path,
                               base_position_world=on_path.base_position_world[np.maximum(0, np.arange(len(t)) - 20)])
    assert metrics.path_error_m(late) < 0.01
