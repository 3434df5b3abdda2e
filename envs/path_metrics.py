"""Path-following metrics: the path a rollout's commands describe, and the mean distance from it (pure NumPy).

Re-exported by :mod:`envs.metrics`, where every other metric lives; docs/metrics.md defines them.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from envs.numerics import norm


class PathRecord(Protocol):
    """What the path metrics read from a recording (an :class:`envs.metrics.Rollout` has it all); a protocol, so
    that this module does not import :mod:`envs.metrics`, which re-exports it."""

    @property
    def base_position_world(self) -> np.ndarray: ...  # (T, 3) m

    @property
    def base_rpy(self) -> np.ndarray: ...  # (T, 3) rad

    @property
    def command(self) -> np.ndarray: ...  # (T, 3): vx m/s, vy m/s, yaw rate rad/s (heading frame)

    @property
    def dt_s(self) -> float: ...  # control period, s

    @property
    def num_steps(self) -> int: ...


def commanded_path_world(rollout: PathRecord) -> np.ndarray:
    """The path the commands describe, (T, 2) m: the command's (vx, vy) in the heading frame and its yaw rate,
    integrated from the first recorded pose (position and heading). Commands in heading mode integrate too."""
    yaw = rollout.base_rpy[0, 2] + np.concatenate([[0.0], np.cumsum(rollout.command[:-1, 2]) * rollout.dt_s])
    c, s = np.cos(yaw), np.sin(yaw)
    vx, vy = rollout.command[:, 0], rollout.command[:, 1]
    step = np.column_stack([c * vx - s * vy, s * vx + c * vy]) * rollout.dt_s
    start = rollout.base_position_world[0, :2]
    return start + np.concatenate([np.zeros((1, 2)), np.cumsum(step[:-1], axis=0)])


def path_error_m(rollout: PathRecord) -> float:
    """Mean distance (m) from the base's ground position to the nearest point of :func:`commanded_path_world`
    (a path-following error: lagging behind along the path costs nothing, leaving it does)."""
    path = commanded_path_world(rollout)
    a, b = path[:-1], path[1:]
    if len(path) < 2:
        return norm(rollout.base_position_world[0, :2] - path[0])
    seg = b - a
    length2 = np.maximum((seg**2).sum(axis=1), 1e-12)
    errors = np.empty(rollout.num_steps)
    for k, p in enumerate(rollout.base_position_world[:, :2]):
        t = np.clip(((p - a) * seg).sum(axis=1) / length2, 0.0, 1.0)
        errors[k] = np.sqrt((((a + t[:, None] * seg) - p) ** 2).sum(axis=1).min())
    return float(errors.mean())
