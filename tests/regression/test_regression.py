"""Every env id reproduces its recorded 300 steps bit for bit (see tests/regression/record.py).

A difference means the env's behaviour changed. If that was on purpose, bump the id's version, record it anew
(``python -m tests.regression.record ID``) and say what changed in README's version history.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import envs
from tests.regression.record import compare, file_for, record

RECORDED = [env_id for env_id in envs.ENV_IDS if file_for(env_id).is_file()]


def test_every_registered_id_has_a_recording():
    missing = [env_id for env_id in envs.ENV_IDS if not file_for(env_id).is_file()]
    assert not missing, f"no regression recording for {missing}; run python -m tests.regression.record"


@pytest.mark.parametrize("env_id", RECORDED)
def test_env_matches_its_recording(env_id):
    assert env_id in gym.registry
    with np.load(file_for(env_id)) as f:
        stored = {k: f[k] for k in f.files}
    problems = compare(stored, record(env_id))
    assert not problems, "\n".join(problems[:10])
