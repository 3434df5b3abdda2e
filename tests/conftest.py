"""Shared fixtures. Envs are closed after each test so PyBullet clients never leak between tests."""

from __future__ import annotations

import os

# Bit-for-bit tests (the regression recordings, seeded rollouts near a tipping point) need the same floating-point
# code paths on every machine. NumPy and torch pick SIMD kernels at run time, and their AVX-512 kernels round
# transcendental functions differently from the AVX2 ones in the last bit, which a chaotic walking robot amplifies
# into a different fall time. Pin both to AVX2 (x86-64-v3), the level the recordings were made at; these must be
# set before NumPy is imported. (No effect on machines without AVX-512.)
from tests.regression.profile import NPY_DISABLE_CPU_FEATURES  # noqa: E402  (imports no NumPy)

os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", NPY_DISABLE_CPU_FEATURES)
os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx2")

import gymnasium as gym  # noqa: E402
import pytest  # noqa: E402

import envs  # noqa: F401  (registers the environments)


@pytest.fixture
def make_env():
    made = []

    def _make(**kwargs):
        env = gym.make("quadgait/LaikagoWalk-v0", **kwargs)
        made.append(env)
        return env

    yield _make
    for env in made:
        env.close()
