"""Record (or compare) 300 steps of every registered env id: observations, rewards, terminations and info.

Usage::

    .venv/bin/python -m tests.regression.record            # (re)write tests/regression/data/<id>.npz
    .venv/bin/python -m tests.regression.record --check    # compare against the stored recordings

``tests/regression/test_regression.py`` runs the comparison in the test suite. A recording is replaced only when an
env's behaviour changes on purpose; that change gets a new env version and a line in docs/environments.md's version
history.

Each case is (env id, settings, seed): actions come from a generator seeded independently of the env, a smooth
random walk around zero (so the robot stays up long enough to matter) with occasional large kicks; after a
termination or truncation the env is reset without a seed (its own generator continues).

**Why a canonical CPU profile.** The walking robot is a chaotic system: a last-bit difference anywhere on the path
from an action to the physics (a ``sin`` in a gait prior, a product of a rotation and a velocity) grows into a
different trajectory within a few dozen steps. NumPy and its bundled OpenBLAS pick their kernels by CPU at run time
(AVX-512 versions of ``sin``/``exp`` where the CPU has AVX-512; per-CPU BLAS kernels), so the same code rounds
differently on different machines, and a recording compared bit for bit would hold one machine's rounding. So the
recordings are made, and checked, in a subprocess pinned to one profile that every x86-64 CPU with AVX2 and FMA
(x86-64-v3, every Intel since 2013 and every AMD since 2015) can run: NumPy's AVX-512 kernels switched off
(``NPY_DISABLE_CPU_FEATURES``) and OpenBLAS's Haswell kernels (``OPENBLAS_CORETYPE``). The per-step sums the env
reports are also written not to go through BLAS at all (``envs/numerics.py``), and they are compared to a relative
1e-12 rather than bit for bit (see ``REWARD_RTOL``). On a CPU that cannot run the profile (ARM, or x86 without AVX2)
the check is skipped with that reason.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np

from tests.regression import profile

DATA_DIR = Path(__file__).resolve().parent / "data"
STEPS = 300

#: Settings variants recorded for every id: the defaults, and the world options all on.
VARIANTS: dict[str, dict] = {
    "default": {},
    "world": {"domain_randomization": True, "push_impulse_ns": 12.0, "push_interval_s": 0.7, "height_scan": True,
              "terrain": "rough:2", "terrain_seed": 3},
}
SEEDS = (0, 7)
#: Env ids with an extra torque-mode case (the motor model's other branch).
TORQUE_IDS = ("quadgait/LaikagoWalk-v0",)


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    return value


def _actions(dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(1000 + seed)
    walk = np.cumsum(rng.normal(0.0, 0.08, (STEPS, dim)), axis=0)
    walk = 0.5 * np.tanh(walk)
    kicks = rng.random(STEPS) < 0.03
    walk[kicks] = rng.uniform(-1.0, 1.0, (int(kicks.sum()), dim))
    return walk.astype(np.float32)


def record_case(env_id: str, settings: dict, seed: int) -> dict[str, np.ndarray]:
    """Arrays of one case: obs (STEPS + resets), rewards, flags, and info as JSON strings per step."""
    env = gym.make(env_id, **settings)
    try:
        actions = _actions(env.action_space.shape[0], seed)
        obs, info = env.reset(seed=seed)
        observations, infos, rewards, terminated, truncated, reset_obs = [obs], [json.dumps(_jsonable(info))], [], \
            [], [], []
        for action in actions:
            obs, reward, term, trunc, info = env.step(action)
            observations.append(obs)
            rewards.append(reward)
            terminated.append(term)
            truncated.append(trunc)
            infos.append(json.dumps(_jsonable(info)))
            if term or trunc:
                obs, info = env.reset()
                reset_obs.append(obs)
                infos.append("reset:" + json.dumps(_jsonable(info)))
        return {"observations": np.array(observations), "rewards": np.array(rewards),
                "terminated": np.array(terminated), "truncated": np.array(truncated),
                "reset_observations": np.array(reset_obs, dtype=np.float32).reshape(len(reset_obs), obs.shape[0]),
                "infos": np.array(infos)}
    finally:
        env.close()


def cases(env_ids) -> list[tuple[str, str, dict, int]]:
    out = []
    for env_id in env_ids:
        for variant, settings in VARIANTS.items():
            for seed in SEEDS:
                out.append((env_id, variant, settings, seed))
        if env_id in TORQUE_IDS:
            out.append((env_id, "torque", {"motor_control": "torque"}, SEEDS[0]))
    return out


def file_for(env_id: str) -> Path:
    return DATA_DIR / (env_id.replace("/", "__") + ".npz")


def record(env_id: str) -> dict[str, np.ndarray]:
    arrays = {}
    for _, variant, settings, seed in cases([env_id]):
        for key, value in record_case(env_id, settings, seed).items():
            arrays[f"{variant}/{seed}/{key}"] = value
    return arrays


#: Rewards and the numbers inside ``info`` are float64 sums of physics outputs; they are compared to this relative
#: tolerance (plus a tiny absolute floor for values near zero), not bit for bit. The recordings are shared between
#: machines, and a sum can round differently in its last bit on another CPU or platform (a BLAS kernel, a libm, a
#: compiler's contraction of a*b+c) without any behaviour changing. The physics itself (observations, terminations,
#: resets) is compared exactly: a one-ulp change in an observation is a behaviour change and fails.
REWARD_RTOL = 1e-12
REWARD_ATOL = 1e-14
#: Keys compared exactly (what the physics produces).
EXACT = ("observations", "terminated", "truncated", "reset_observations")


def compare(stored: dict[str, np.ndarray], now: dict[str, np.ndarray]) -> list[str]:
    """Differences between two recordings; info keys added since the recording are allowed.

    Observations, terminations and reset observations must be identical; rewards and info numbers must agree to
    ``REWARD_RTOL`` (see above).
    """
    problems = []
    for key in sorted(set(stored) | set(now)):
        if key not in now or key not in stored:
            problems.append(f"{key}: present in only one recording")
            continue
        a, b = stored[key], now[key]
        if a.shape != b.shape:
            problems.append(f"{key}: shape {a.shape} vs {b.shape}")
            continue
        if key.endswith("/infos"):
            for k, (x, y) in enumerate(zip(a, b, strict=False)):
                why = _info_difference(str(x), str(y))
                if why:
                    problems.append(f"{key}[{k}]: {why}")
                    break
        elif key.rsplit("/", 1)[-1] in EXACT:
            if not np.array_equal(a, b):
                problems.append(f"{key}: differs (first at {np.argwhere(a != b)[0].tolist()})")
        else:
            close = np.isclose(a, b, rtol=REWARD_RTOL, atol=REWARD_ATOL)
            if not close.all():
                k = int(np.argwhere(~close)[0][0])
                problems.append(f"{key}: differs beyond rtol {REWARD_RTOL:g} (first at {k}: {a[k]!r} vs {b[k]!r})")
    return problems


def _values_differ(old, new, path: str) -> str | None:
    """Where a stored JSON value and a new one differ (numbers to the tolerance), or None."""
    if isinstance(old, bool) or isinstance(new, bool) or isinstance(old, str) or old is None:
        return None if old == new else f"{path}: {old!r} != {new!r}"
    if isinstance(old, (int, float)):
        if not isinstance(new, (int, float)) or isinstance(new, bool):
            return f"{path}: {old!r} != {new!r}"
        if old == new or (math.isfinite(old) and math.isfinite(new)
                          and abs(old - new) <= REWARD_ATOL + REWARD_RTOL * abs(old)):
            return None
        return f"{path}: {old!r} != {new!r}"
    if isinstance(old, list):
        if not isinstance(new, list) or len(old) != len(new):
            return f"{path}: {str(old)[:80]} != {str(new)[:80]}"
        for i, (x, y) in enumerate(zip(old, new, strict=False)):
            why = _values_differ(x, y, f"{path}[{i}]")
            if why:
                return why
        return None
    if isinstance(old, dict):
        if not isinstance(new, dict):
            return f"{path}: {str(old)[:80]} != {str(new)[:80]}"
        for k, v in old.items():
            if k not in new:
                return f"{path}.{k}: missing now"
            why = _values_differ(v, new[k], f"{path}.{k}")
            if why:
                return why
        return None
    return None if old == new else f"{path}: {old!r} != {new!r}"


def _info_difference(old: str, new: str) -> str | None:
    prefix = "reset:"
    if old.startswith(prefix) != new.startswith(prefix):
        return "a reset in only one recording"
    return _values_differ(json.loads(old.removeprefix(prefix)), json.loads(new.removeprefix(prefix)), "info")


#: Marks a process that already runs in the canonical profile.
PROFILE_MARK = "QUADGAIT_CANONICAL_FP"
def canonical_profile() -> tuple[dict[str, str] | None, str]:
    """(environment for a subprocess pinned to the canonical profile, "") or (None, why this machine cannot)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return None, f"the recordings' CPU profile is x86-64-v3; this machine is {platform.machine()}"
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # NumPy 1.x
        from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    if not all(__cpu_features__.get(f) for f in ("AVX2", "FMA3")):
        return None, "the recordings' CPU profile is x86-64-v3 (AVX2 and FMA); this CPU lacks them"
    env = dict(os.environ, OPENBLAS_CORETYPE=profile.OPENBLAS_CORETYPE, OPENBLAS_NUM_THREADS="1",
               NPY_DISABLE_CPU_FEATURES=" ".join(f for f in profile.NPY_DISABLE_CPU_FEATURES.split()
                                                 if f in __cpu_dispatch__), **{PROFILE_MARK: "1"})
    return env, ""


def run_in_profile(argv: list[str], extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m tests.regression.record ARGV`` in the canonical profile (raises RuntimeError where impossible)."""
    env, why = canonical_profile()
    if env is None:
        raise RuntimeError(why)
    env.update(extra_env or {})
    root = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = os.pathsep.join([str(root)] + [x for x in [env.get("PYTHONPATH")] if x])
    return subprocess.run([sys.executable, "-m", "tests.regression.record", *argv], env=env, cwd=root,
                          capture_output=True, text=True, timeout=900)


def main(argv=None) -> int:
    if os.environ.get(PROFILE_MARK) != "1":  # re-run this command in the canonical profile
        done = run_in_profile(list(sys.argv[1:] if argv is None else argv))
        sys.stdout.write(done.stdout)
        sys.stderr.write(done.stderr)
        return done.returncode
    import envs  # noqa: F401

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("ids", nargs="*", help="env ids (default: every stored or registered quadgait id)")
    args = parser.parse_args(argv)
    ids = args.ids or sorted(k for k in gym.registry if k.startswith("quadgait/"))
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    failed = 0
    for env_id in ids:
        now = record(env_id)
        if args.check:
            with np.load(file_for(env_id)) as f:
                stored = {k: f[k] for k in f.files}
            problems = compare(stored, now)
            print(f"{env_id}: {'identical' if not problems else f'{len(problems)} differences'}")
            for p in problems[:10]:
                print("   ", p)
            failed += bool(problems)
        else:
            np.savez_compressed(file_for(env_id), **now)
            print(f"wrote {file_for(env_id)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
