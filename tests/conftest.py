"""Shared fixtures. Envs are closed after each test so PyBullet clients never leak between tests."""

from __future__ import annotations

import gymnasium as gym
import pytest

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
