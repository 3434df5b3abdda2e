"""envs/numerics.py: the fixed-order products agree with NumPy's to rounding and never call BLAS."""

from __future__ import annotations

import numpy as np
import pytest

from envs.numerics import dot, matvec3, norm


def test_products_match_numpy_to_rounding():
    rng = np.random.default_rng(3)
    for _ in range(50):
        m, v = rng.normal(size=(3, 3)), rng.normal(size=3)
        np.testing.assert_allclose(matvec3(m, v), m @ v, rtol=1e-14, atol=1e-15)
        a, b = rng.normal(size=7), rng.normal(size=7)
        assert dot(a, b) == pytest.approx(float(a @ b), rel=1e-13, abs=1e-15)
        assert norm(a) == pytest.approx(float(np.linalg.norm(a)), rel=1e-14)
    assert norm([3.0, 4.0]) == 5.0 and dot([], []) == 0.0


def test_order_is_fixed_left_to_right():
    # (1e16 + 1) - 1e16 rounds to 0 left to right; a reordering that adds the small terms first gives 2
    assert dot([1e16, 1.0, -1e16, 1.0], [1.0, 1.0, 1.0, 1.0]) == 1.0
    m = np.array([[1e16, 1.0, -1e16]] * 3)
    assert matvec3(m, np.ones(3)).tolist() == [0.0, 0.0, 0.0]
