"""Synthetic rollouts and ideal gait contacts shared by the metric tests."""

from __future__ import annotations

import numpy as np

from envs.metrics import Rollout

SAMPLE_RATE_HZ = 100.0
DT_S = 1.0 / SAMPLE_RATE_HZ


def make_rollout(num_steps: int = 100, **overrides) -> Rollout:
    """Rollout of a robot standing still on all four feet; override any field by keyword."""
    n = num_steps
    fields = dict(
        time_s=np.arange(n) / SAMPLE_RATE_HZ,
        dt_s=DT_S,
        base_position_world=np.tile([0.0, 0.0, 0.45], (n, 1)),
        base_rpy=np.zeros((n, 3)),
        base_lin_vel_world=np.zeros((n, 3)),
        base_lin_vel_body=np.zeros((n, 3)),
        base_ang_vel_body=np.zeros((n, 3)),
        command=np.zeros((n, 3)),
        joint_angles=np.zeros((n, 12)),
        joint_velocities=np.zeros((n, 12)),
        joint_torques=np.zeros((n, 12)),
        actions=np.zeros((n, 12)),
        foot_contacts=np.ones((n, 4), dtype=bool),
        foot_normal_forces=np.full((n, 4), 50.0),
        foot_positions_world=np.zeros((n, 4, 3)),
        total_mass_kg=20.0,
        hip_height_m=0.5,
        fell=False,
        fall_time_s=None,
    )
    fields.update(overrides)
    return Rollout(**fields)


def gait_contacts(
    offsets_cycles, duty: float, freq_hz: float = 1.5, duration_s: float = 10.0
) -> tuple[np.ndarray, np.ndarray]:
    """Contacts of an ideal periodic gait: foot i touches down when phase - offset_i crosses 0."""
    n = int(round(duration_s * SAMPLE_RATE_HZ))
    k = np.arange(n)
    # k * f / fs keeps the phase exact for the rates used here (no float drift at edges).
    phase = k[:, None] * freq_hz / SAMPLE_RATE_HZ - np.asarray(offsets_cycles)[None, :]
    contacts = np.mod(phase, 1.0) < duty
    return contacts, k / SAMPLE_RATE_HZ


GAIT_TEMPLATES = {
    "trot": ((0.0, 0.5, 0.5, 0.0), 0.6),
    "pace": ((0.0, 0.5, 0.0, 0.5), 0.6),
    "bound": ((0.0, 0.0, 0.5, 0.5), 0.4),
    "pronk": ((0.0, 0.0, 0.0, 0.0), 0.4),
    "walk": ((0.0, 0.5, 0.25, 0.75), 0.75),
}
