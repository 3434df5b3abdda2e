"""Stance-force QP: distribute a desired body wrench over the feet on the ground (pure numpy + DAQP).

The robot is one rigid body (:mod:`envs.gaits.rigid_body`); the feet in stance push on the ground with forces
``f_i`` (world frame, N, the ground's force on the foot), and their sum and moment about the centre of mass must
make the body wrench a feedback law asks for::

    minimise   (A f - w)^T S (A f - w) + α ‖f - f_ref‖²          A = [ I      ...  I     ]
    subject to f_min ≤ f_z,i ≤ f_max                                 [ [r_1]× ... [r_n]× ]
               |f_x,i| ≤ (μ/√2) f_z,i,  |f_y,i| ≤ (μ/√2) f_z,i     (pyramid inscribed in the friction cone)
               |M_i f_i| ≤ τ_max,i                                  (joint torques within the motor limits)

``w`` = (force N, torque N·m about the centre of mass), world axes; ``r_i`` = foot position minus centre of mass (m);
``S`` weights the six wrench components; ``α`` (small) keeps the problem strictly convex and pulls the forces
towards a planned distribution ``f_ref``; ``M_i`` maps leg ``i``'s foot force to its joint torques
(``τ = -J_iᵀ Rᵀ f_i``). The inscribed pyramid keeps every solution inside the true cone
``√(f_x² + f_y²) ≤ μ f_z`` (the contact normal is taken as world z: the controller does not know the terrain).

Solver: DAQP (dual active-set, MIT licence, C library, binary wheels), chosen for small dense QPs like this one
(≤ 12 variables, ≤ 32 constraints): ~15 µs per solve here; building the matrices in numpy costs more than solving.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import daqp
import numpy as np

NUM_LEGS = 4
_INF = 1e30
_DAQP_OPTIMAL = (1, 2)  # 1: optimal; 2: optimal but some constraints are soft-violated (not used here)


@dataclass(frozen=True)
class ForceQPSettings:
    """Weights and bounds of the stance-force QP.

    Attributes:
        friction_coefficient: assumed foot-ground friction coefficient μ (the controller cannot sense it; the
            pyramid used is inscribed in the cone of this μ).
        min_normal_force_n: lower bound on each stance foot's normal force, N (keeps planted feet planted).
        max_normal_force_n: upper bound on each stance foot's normal force, N.
        wrench_weights: (6,) weights S of the force (x, y, z) and torque (x, y, z) tracking errors.
        regularization: α, weight of ‖f − f_ref‖² (N⁻²-scaled like the force weights).
    """

    friction_coefficient: float = 0.5
    min_normal_force_n: float = 2.0
    max_normal_force_n: float = 400.0
    wrench_weights: tuple[float, float, float, float, float, float] = (1.0, 1.0, 1.0, 20.0, 20.0, 10.0)
    regularization: float = 1e-3

    def __post_init__(self) -> None:
        if not 0 < self.friction_coefficient <= 3:
            raise ValueError(f"friction_coefficient must be in (0, 3], got {self.friction_coefficient!r}")
        if not 0 <= self.min_normal_force_n < self.max_normal_force_n:
            raise ValueError("need 0 <= min_normal_force_n < max_normal_force_n, got "
                             f"{self.min_normal_force_n!r}, {self.max_normal_force_n!r}")
        if len(self.wrench_weights) != 6 or min(self.wrench_weights) <= 0:
            raise ValueError(f"wrench_weights must be 6 positive numbers, got {self.wrench_weights!r}")
        if not self.regularization > 0:
            raise ValueError(f"regularization must be > 0, got {self.regularization!r}")


@dataclass(frozen=True)
class ForceQPResult:
    """Solution of one stance-force QP.

    Attributes:
        forces_world: (4, 3) ground reaction force on each foot, world frame, N (zero for feet not in stance).
        achieved_wrench: (6,) the force (N) and torque about the centre of mass (N·m) these forces make.
        solved: False when the solver failed and the (clipped) reference forces were returned instead.
    """

    forces_world: np.ndarray
    achieved_wrench: np.ndarray
    solved: bool


def wrench_matrix(feet_rel_com_world: np.ndarray) -> np.ndarray:
    """(6, 3n) map from stacked foot forces (N) to (total force N, torque about the centre of mass N·m)."""
    r = np.asarray(feet_rel_com_world, dtype=float).reshape(-1, 3)
    n = r.shape[0]
    blocks = np.zeros((n, 6, 3))
    blocks[:, 0, 0] = blocks[:, 1, 1] = blocks[:, 2, 2] = 1.0
    x, y, z = r[:, 0], r[:, 1], r[:, 2]
    blocks[:, 3, 1], blocks[:, 3, 2] = -z, y  # [r]× f = r × f
    blocks[:, 4, 0], blocks[:, 4, 2] = z, -x
    blocks[:, 5, 0], blocks[:, 5, 1] = -y, x
    return blocks.transpose(1, 0, 2).reshape(6, 3 * n)


class StanceForceQP:
    """Solves the stance-force QP (see the module docstring) for any subset of feet in stance."""

    def __init__(self, settings: ForceQPSettings = ForceQPSettings()) -> None:
        self.settings = settings
        self._weights = np.asarray(settings.wrench_weights, dtype=float)
        mu = settings.friction_coefficient / math.sqrt(2.0)
        # Per leg: fx - mu fz <= 0, fx + mu fz >= 0, same for y, and the normal-force row.
        self._friction_rows = np.array([[1.0, 0.0, -mu], [1.0, 0.0, mu], [0.0, 1.0, -mu], [0.0, 1.0, mu],
                                        [0.0, 0.0, 1.0]])
        self._friction_upper = np.array([0.0, _INF, 0.0, _INF, settings.max_normal_force_n])
        self._friction_lower = np.array([-_INF, 0.0, -_INF, 0.0, settings.min_normal_force_n])
        self._templates: dict[tuple[int, bool], tuple] = {}

    def solve(self, stance: np.ndarray, feet_rel_com_world: np.ndarray, desired_wrench: np.ndarray,
              reference_forces: np.ndarray | None = None, force_to_torque: np.ndarray | None = None,
              torque_limits: np.ndarray | None = None) -> ForceQPResult:
        """Forces for the feet flagged in ``stance``.

        Args:
            stance: (4,) bool, feet that may push (the others get zero force).
            feet_rel_com_world: (4, 3) foot positions minus the centre of mass, world frame, m.
            desired_wrench: (6,) desired total ground force (N) and torque about the centre of mass (N·m), world.
            reference_forces: (4, 3) planned forces f_ref, N (default zero).
            force_to_torque: (4, 3, 3) per leg, the matrix mapping its foot force (world, N) to its joint torques
                (N·m); with ``torque_limits`` ((4, 3), N·m) the torques are constrained to the limits.
        """
        stance = np.asarray(stance, dtype=bool)
        legs = np.flatnonzero(stance)
        forces = np.zeros((NUM_LEGS, 3))
        if legs.size == 0:
            return ForceQPResult(forces, np.zeros(6), True)
        n = legs.size
        w = np.asarray(desired_wrench, dtype=float)
        ref_x = (np.zeros(3 * n) if reference_forces is None
                 else np.asarray(reference_forces, dtype=float)[legs].reshape(-1))
        a = wrench_matrix(np.asarray(feet_rel_com_world)[legs])
        aw = a.T * self._weights  # A^T S
        alpha = self.settings.regularization
        with_torque = force_to_torque is not None and torque_limits is not None
        eye_alpha, c, upper, lower, sense, torque_rows, torque_cols = self._template(n, with_torque)
        h = aw @ a + eye_alpha
        f = -(aw @ w + alpha * ref_x)
        if with_torque:
            c[torque_rows, torque_cols] = np.asarray(force_to_torque)[legs].reshape(-1)
            limits = np.asarray(torque_limits)[legs].reshape(-1)
            upper[-3 * n:] = limits
            lower[-3 * n:] = -limits
        x, _, exitflag, _ = daqp.solve(h, f, c, upper, lower, sense)
        solved = exitflag in _DAQP_OPTIMAL and bool(np.all(np.isfinite(x)))
        if not solved:  # fall back to the plan, pushed into the cone and bounds
            x = self._project(ref_x.reshape(-1, 3)).reshape(-1)
        forces[legs] = np.asarray(x).reshape(n, 3)
        return ForceQPResult(forces, a @ np.asarray(x), solved)

    def _template(self, n: int, with_torque: bool) -> tuple:
        """Constant parts of the problem for ``n`` stance feet (built once, then reused): α·I, the constraint
        matrix with the friction and normal-force rows filled in (5 per foot, then 3 torque rows per foot), their
        bounds, the solver's constraint-type flags and the index arrays of the torque-row entries."""
        key = (n, with_torque)
        if key not in self._templates:
            torque_rows_per_leg = 3 if with_torque else 0
            c = np.zeros(((5 + torque_rows_per_leg) * n, 3 * n))
            upper = np.empty(c.shape[0])
            lower = np.empty(c.shape[0])
            for k in range(n):
                c[5 * k:5 * k + 5, 3 * k:3 * k + 3] = self._friction_rows
                upper[5 * k:5 * k + 5], lower[5 * k:5 * k + 5] = self._friction_upper, self._friction_lower
            # Torque rows: leg k's 3x3 block sits at rows 5n + 3k .. +3, columns 3k .. +3.
            rows = (5 * n + 3 * np.arange(n)[:, None, None] + np.arange(3)[None, :, None]) * np.ones((1, 1, 3), int)
            cols = (3 * np.arange(n)[:, None, None] + np.arange(3)[None, None, :]) * np.ones((1, 3, 1), int)
            self._templates[key] = (self.settings.regularization * np.eye(3 * n), c, upper, lower,
                                    np.zeros(c.shape[0], dtype=np.int32), rows.reshape(-1), cols.reshape(-1))
        return self._templates[key]

    def _project(self, f: np.ndarray) -> np.ndarray:
        s = self.settings
        out = f.copy()
        out[:, 2] = np.clip(out[:, 2], s.min_normal_force_n, s.max_normal_force_n)
        limit = s.friction_coefficient / math.sqrt(2.0) * out[:, 2]
        out[:, 0] = np.clip(out[:, 0], -limit, limit)
        out[:, 1] = np.clip(out[:, 1], -limit, limit)
        return out
