"""Policy files written by training (model + its metadata and normaliser in one zip), and finding the checkpoint
to resume from.

A checkpoint is one file, ``checkpoints/ckpt_<steps>.zip``: the stable-baselines3 model with a ``quadgait.json``
entry holding the env, settings, spaces and the complete ``VecNormalize`` state (:mod:`envs.policies.files`). It is
written atomically, so a checkpoint that exists is complete. Resuming takes the newest checkpoint that loads and
says which newer ones it skipped and why.
"""

from __future__ import annotations

import json
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envs.policies.files import (
    NormalizerStats,
    PolicyLoadError,
    UnsafePickleError,
    add_metadata,
    policy_metadata,
    read_metadata,
    read_normalizer_json,
    read_pickled_normalizer,
    safe_load_model,
)
from envs.policies.loading import CHECKPOINT_DIR, CHECKPOINT_RE, NORMALIZER_FILE, normalizer_paths
from train.atomic import atomic_path, write_text


@dataclass(frozen=True)
class RunIdentity:
    """What every policy file of a run records about it (see :func:`envs.policies.files.policy_metadata`)."""

    algo: str
    hyperparams: dict[str, Any]
    env_id: str
    env_kwargs: dict[str, Any]
    robot: str


def save_policy(model, vec_normalize, path: Path, run: RunIdentity) -> Path:
    """Write ``model`` with its metadata and normaliser state as one zip, atomically."""
    stats = NormalizerStats.from_vec_normalize(vec_normalize) if vec_normalize is not None else None
    meta = policy_metadata(algo=run.algo, hyperparams=run.hyperparams, env_id=run.env_id, env_kwargs=run.env_kwargs,
                           robot=run.robot, observation_space=model.observation_space,
                           action_space=model.action_space, normalizer=stats)
    with atomic_path(path) as tmp:
        model.save(tmp)
        add_metadata(tmp, meta)
    return path


def save_normalizer_json(vec_normalize, path: Path) -> Path:
    """``vecnormalize.json``: the normaliser's complete state as plain JSON (for other tools; the zip has it too)."""
    return write_text(path, json.dumps(NormalizerStats.from_vec_normalize(vec_normalize).to_dict(), indent=1) + "\n")


def save_checkpoint(model, vec_normalize, run_dir: Path, step: int, wall_clock_s: float, run: RunIdentity) -> Path:
    """Write ``checkpoints/ckpt_<step>.zip`` (model, metadata and normaliser in one file, atomically)."""
    model.quadgait_wall_clock_s = float(wall_clock_s)  # saved in the zip; resumed runs continue the clock
    return save_policy(model, vec_normalize, run_dir / CHECKPOINT_DIR / f"ckpt_{step}.zip", run)


def list_checkpoints(run_dir: str | Path) -> list[tuple[int, Path]]:
    """(steps, path) of every ``checkpoints/ckpt_<steps>.zip``, newest first.

    Raises:
        PolicyLoadError: no such folder, or no checkpoint in it.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise PolicyLoadError(f"no run folder at {str(run_dir)!r}")
    found = [(int(m.group(1)), p) for p in (run_dir / CHECKPOINT_DIR).glob("ckpt_*.zip")
             if (m := CHECKPOINT_RE.fullmatch(p.name))]
    if not found:
        raise PolicyLoadError(f"run folder {str(run_dir)!r} has no checkpoint ({CHECKPOINT_DIR}/ckpt_<steps>.zip)")
    return sorted(found, reverse=True)


def latest_checkpoint(run_dir: str | Path) -> tuple[int, Path]:
    """(steps, path) of the highest-step checkpoint (whether or not it loads)."""
    return list_checkpoints(run_dir)[0]


@dataclass(frozen=True)
class Checkpoint:
    step: int
    path: Path
    stats: NormalizerStats | None


def checkpoint_normalizer(path: Path, env_id: str, normalize: bool, obs_shape: tuple[int, ...],
                          trust_pickle: bool) -> NormalizerStats | None:
    """The normaliser state saved with a checkpoint (inside it, or a legacy file beside it); checks that the
    checkpoint belongs to ``env_id`` and fits the observation shape.

    Raises:
        PolicyLoadError: corrupt, missing or not fitting (:class:`UnsafePickleError` for a legacy pickle without
            ``trust_pickle``).
    """
    if not zipfile.is_zipfile(path):
        raise PolicyLoadError(f"corrupt checkpoint {str(path)!r} (not a zip archive)")
    meta = read_metadata(path)
    if meta is not None:
        if meta["env_id"] != env_id:
            raise PolicyLoadError(f"checkpoint {str(path)!r} was trained in {meta['env_id']!r}, the run's "
                                  f"config.yaml says {env_id!r}")
        shape = tuple(meta["observation_space_box"].shape)
        if shape != obs_shape:
            raise PolicyLoadError(f"checkpoint {str(path)!r} has observation shape {shape}, the env {env_id!r} "
                                  f"has {obs_shape}")
        stats = meta.get("normalizer_stats")
    else:
        json_path, pkl_path = normalizer_paths(path)
        if json_path.is_file():
            stats = read_normalizer_json(json_path, obs_shape)
        elif pkl_path.is_file():
            if not trust_pickle:
                raise UnsafePickleError(f"checkpoint normaliser {str(pkl_path)!r} is a pickle, which can run "
                                        "arbitrary code when loaded: convert the run folder once with 'quadgait "
                                        f"convert {path.parent.parent} --trust-pickle', or pass --trust-pickle if "
                                        "you trust it")
            stats = read_pickled_normalizer(pkl_path, obs_shape)
        else:
            stats = None
    if normalize and stats is None:
        raise PolicyLoadError(f"checkpoint {str(path)!r} has no normaliser (neither inside it nor "
                              f"{normalizer_paths(path)[0].name} beside it)")
    return stats if normalize else None


def usable_checkpoints(run_dir: Path, env_id: str, normalize: bool, obs_shape: tuple[int, ...],
                       trust_pickle: bool) -> list[Checkpoint]:
    """The checkpoints whose files are complete and fit the env, newest first; the newer ones that do not are
    reported on stderr and skipped.

    Raises:
        PolicyLoadError: none is usable (the message gives the newest one's problem).
    """
    usable, errors = [], []
    for step, path in list_checkpoints(run_dir):
        try:
            stats = checkpoint_normalizer(path, env_id, normalize, obs_shape, trust_pickle)
        except UnsafePickleError:
            raise
        except PolicyLoadError as exc:
            errors.append((path, str(exc)))
            continue
        if not usable:  # the newer ones that failed are skipped: say so
            for skipped, why in errors:
                print(f"quadgait train: skipping {skipped.name}: {why}", file=sys.stderr)
        usable.append(Checkpoint(step, path, stats))
    errors = [why for _, why in errors]
    if not usable:
        raise PolicyLoadError(errors[0] if len(errors) == 1 else
                              f"no checkpoint in {str(run_dir)!r} can be resumed; newest: {errors[0]}")
    return usable


def load_checkpoint_model(checkpoint: Checkpoint, algo: str, hyperparams: dict[str, Any], env, trust_pickle: bool,
                          **load_kwargs):
    """The SB3 model of a checkpoint, bound to ``env`` (never unpickled unless ``trust_pickle`` and needed)."""
    import stable_baselines3 as sb3

    try:
        return safe_load_model(checkpoint.path, algo, hyperparams, env.observation_space, env.action_space, env=env,
                               **load_kwargs)
    except UnsafePickleError:
        if not trust_pickle:
            raise
    try:
        return getattr(sb3, algo.upper()).load(checkpoint.path, env=env, device="cpu", **load_kwargs)
    except Exception as exc:  # noqa: BLE001
        raise PolicyLoadError(f"corrupt checkpoint {str(checkpoint.path)!r}: {type(exc).__name__}: {exc}") from None


__all__ = ["RunIdentity", "Checkpoint", "save_policy", "save_normalizer_json", "save_checkpoint", "list_checkpoints",
           "latest_checkpoint", "checkpoint_normalizer", "usable_checkpoints", "load_checkpoint_model",
           "NORMALIZER_FILE"]
