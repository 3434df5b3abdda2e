"""Every env id reproduces its recorded 300 steps (see tests/regression/record.py).

A difference means the env's behaviour changed. If that was on purpose, bump the id's version, record it anew
(``python -m tests.regression.record ID``) and say what changed in docs/environments.md's version history.

The check runs in a subprocess pinned to the recordings' CPU profile (x86-64-v3: NumPy without its AVX-512 kernels,
OpenBLAS's Haswell kernels), which every x86-64 CPU with AVX2 and FMA can run, so it passes on any such machine and
not only on the one that recorded it. Observations and terminations are compared exactly; rewards and info numbers
to a relative 1e-12 (record.py says why).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import envs
from tests.regression.record import REWARD_RTOL, canonical_profile, compare, file_for, run_in_profile

RECORDED = [env_id for env_id in envs.ENV_IDS if file_for(env_id).is_file()]
_PROFILE, _WHY_NOT = canonical_profile()
needs_profile = pytest.mark.skipif(_PROFILE is None, reason=_WHY_NOT or "profile available")


def test_every_registered_id_has_a_recording():
    missing = [env_id for env_id in envs.ENV_IDS if not file_for(env_id).is_file()]
    assert not missing, f"no regression recording for {missing}; run python -m tests.regression.record"


@needs_profile
@pytest.mark.parametrize("env_id", RECORDED)
def test_env_matches_its_recording(env_id):
    done = run_in_profile(["--check", env_id])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"{env_id}: identical" in done.stdout


@needs_profile
@pytest.mark.parametrize("coretype", ["Prescott", "SkylakeX"])
def test_recordings_do_not_depend_on_the_blas_kernels(coretype):
    """The same check with OpenBLAS's oldest (SSE3) or AVX-512 kernels forced: the env's numbers do not go through
    BLAS (envs/numerics.py), so which kernels OpenBLAS picks for a CPU cannot move them."""
    ids = ["quadgait/LaikagoWalk-v0", "quadgait/LaikagoSteer-v0"]
    done = run_in_profile(["--check", *ids], extra_env={"OPENBLAS_CORETYPE": coretype})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for env_id in ids:
        assert f"{env_id}: identical" in done.stdout


def _stored(env_id="quadgait/LaikagoWalk-v0"):
    with np.load(file_for(env_id)) as f:
        return {k: f[k] for k in f.files}


def test_a_one_ulp_change_in_an_observation_fails_the_comparison():
    stored = _stored()
    now = {k: v.copy() for k, v in stored.items()}
    obs = now["default/0/observations"]
    obs[40, 3] = np.nextafter(obs[40, 3], np.float32(np.inf))
    assert compare(stored, stored) == []
    problems = compare(stored, now)
    assert problems == ["default/0/observations: differs (first at [40, 3])"]


def test_a_termination_flip_fails_the_comparison():
    stored = _stored()
    now = {k: v.copy() for k, v in stored.items()}
    now["default/7/terminated"][5] = ~now["default/7/terminated"][5]
    assert any("terminated" in p for p in compare(stored, now))


def test_rewards_agree_to_a_relative_1e_12_not_beyond():
    stored = _stored()
    last_bit = {k: v.copy() for k, v in stored.items()}
    last_bit["default/0/rewards"] = np.nextafter(last_bit["default/0/rewards"], np.inf)  # every reward, one ulp
    assert compare(stored, last_bit) == []
    real = {k: v.copy() for k, v in stored.items()}
    real["default/0/rewards"][17] *= 1.0 + 100 * REWARD_RTOL
    (problem,) = compare(stored, real)
    assert problem.startswith("default/0/rewards: differs beyond rtol 1e-12 (first at 17")


def _with_info(stored, key, index, change):
    now = {k: v.copy() for k, v in stored.items()}
    entries = [str(x) for x in now[key]]
    info = json.loads(entries[index])
    change(info)
    entries[index] = json.dumps(info)
    now[key] = np.array(entries)
    return now


def test_info_numbers_agree_to_the_tolerance_and_other_values_exactly():
    stored = _stored()
    key = "default/0/infos"
    term = sorted(json.loads(str(stored[key][30]))["reward_terms"])[0]

    def nudge(factor):
        def change(info):
            info["reward_terms"][term] = float(info["reward_terms"][term]) * factor + 0.0
        return change

    assert compare(stored, _with_info(stored, key, 30, nudge(1.0 + 1e-15))) == []
    problems = compare(stored, _with_info(stored, key, 30, nudge(1.0 + 1e-9)))
    assert len(problems) == 1 and problems[0].startswith(f"{key}[30]: info.reward_terms.{term}")
    assert json.loads(str(stored[key][30]))["failure"] is None
    failed = _with_info(stored, key, 30, lambda info: info.update({"failure": "tipped"}))
    assert compare(stored, failed) == [f"{key}[30]: info.failure: None != 'tipped'"]
    added = _with_info(stored, key, 30, lambda info: info.update({"a_new_key": 1.0}))
    assert compare(stored, added) == []  # keys added since the recording are allowed
