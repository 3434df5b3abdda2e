"""Small vector products that round the same way on every CPU.

NumPy hands ``a @ b``, ``a.dot(b)`` and ``np.linalg.norm`` to its bundled OpenBLAS, which picks its kernels by CPU at
run time (Haswell, SkylakeX, Zen, ...). The kernels sum in different orders, so a 3x3 rotation times a velocity can
differ in the last bit from one machine to the next, and so can every reward computed from it. These helpers do the
same arithmetic with elementwise operations in a fixed order, which IEEE 754 rounds identically everywhere. Use them
for the per-step quantities an env reports (body-frame velocities, reward terms, metrics); the model-based
controllers' larger linear algebra stays with BLAS/LAPACK.
"""

from __future__ import annotations

import math

import numpy as np


def matvec3(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``matrix @ vector`` for a 3x3 matrix and a 3-vector, summed left to right."""
    return matrix[:, 0] * vector[0] + matrix[:, 1] * vector[1] + matrix[:, 2] * vector[2]


def dot(a, b) -> float:
    """Sum of ``a[i] * b[i]`` for 1-D inputs, left to right in float64."""
    total = 0.0
    for x, y in zip(np.asarray(a, dtype=float).tolist(), np.asarray(b, dtype=float).tolist(), strict=True):
        total += x * y
    return total


def norm(a) -> float:
    """Euclidean length of a 1-D vector (sqrt of :func:`dot`)."""
    return math.sqrt(dot(a, a))
