"""Record (or compare) 300 steps of every registered env id: observations, rewards, terminations and info.

Usage::

    .venv/bin/python -m tests.regression.record            # (re)write tests/regression/data/<id>.npz
    .venv/bin/python -m tests.regression.record --check    # compare against the stored recordings

``tests/regression/test_regression.py`` runs the comparison in the test suite. A recording is replaced only when an
env's behaviour changes on purpose; that change gets a new env version and a line in README's version history.

Each case is (env id, settings, seed): actions come from a generator seeded independently of the env, a smooth
random walk around zero (so the robot stays up long enough to matter) with occasional large kicks; after a
termination or truncation the env is reset without a seed (its own generator continues).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np

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


def compare(stored: dict[str, np.ndarray], now: dict[str, np.ndarray]) -> list[str]:
    """Differences between two recordings (bit for bit); info keys added since the recording are allowed."""
    problems = []
    for key in sorted(set(stored) | set(now)):
        if key not in now or key not in stored:
            problems.append(f"{key}: present in only one recording")
            continue
        a, b = stored[key], now[key]
        if key.endswith("/infos"):
            if a.shape != b.shape:
                problems.append(f"{key}: {a.shape} vs {b.shape} entries")
                continue
            for k, (x, y) in enumerate(zip(a, b)):
                if not _info_matches(str(x), str(y)):
                    problems.append(f"{key}[{k}]: {str(x)[:200]} != {str(y)[:200]}")
                    break
        elif a.shape != b.shape or not np.array_equal(a, b):
            where = "shape" if a.shape != b.shape else f"first at {np.argwhere(a != b)[0].tolist()}"
            problems.append(f"{key}: differs ({where})")
    return problems


def _info_matches(old: str, new: str) -> bool:
    prefix = "reset:"
    if old.startswith(prefix) != new.startswith(prefix):
        return False
    old_d, new_d = json.loads(old.removeprefix(prefix)), json.loads(new.removeprefix(prefix))
    return all(k in new_d and new_d[k] == v for k, v in old_d.items())


def main(argv=None) -> int:
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
