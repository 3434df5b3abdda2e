"""Trained policies as controllers: a stable-baselines3 model (``.zip``) or a run folder holding one.

A policy file written by ``quadgait train`` carries everything it needs to run (env id and settings, robot,
algorithm, spaces and observation normaliser) as a ``quadgait.json`` entry inside the zip
(:mod:`envs.policies.files`), and is loaded without unpickling anything. A run folder holds ``model.zip``,
``vecnormalize.json`` (the normaliser, plain JSON), ``config.yaml`` and ``checkpoints/ckpt_<steps>.zip``; a
checkpoint file can be used as a model.

Older run folders (a ``model.zip`` without ``quadgait.json``, ``vecnormalize.pkl``) are read through their
``config.yaml``; their ``.pkl`` normaliser is a pickle, which can run arbitrary code, so it is loaded only with
``trust_pickle=True`` (``--trust-pickle``); ``quadgait convert`` rewrites such a folder once. A model that carries
no metadata and has no ``config.yaml`` is refused: its env, settings and normaliser are unknown, and running it
anyway gives numbers for a different controller.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from envs.policies.files import (
    NORMALIZER_JSON,
    NormalizerStats,
    ObservationNormalizer,
    PolicyLoadError,
    UnsafePickleError,
    read_metadata,
    read_normalizer_json,
    read_pickled_normalizer,
    safe_load_model,
    strict_yaml_load,
)
from envs.state import RobotState

__all__ = ["PolicyLoadError", "UnsafePickleError", "ObservationNormalizer", "PolicyController", "PolicySource",
           "LoadedPolicy", "describe_policy", "load_policy", "policy_env", "check_spaces", "read_run_config",
           "run_folder"]

MODEL_FILE = "model.zip"
NORMALIZER_FILE = NORMALIZER_JSON
LEGACY_NORMALIZER_FILE = "vecnormalize.pkl"
CONFIG_FILE = "config.yaml"
CHECKPOINT_DIR = "checkpoints"
CHECKPOINT_RE = re.compile(r"ckpt_(\d+)\.zip")
ALGORITHMS = ("PPO", "SAC", "TD3", "A2C")


def resolve_model_path(path: str | Path) -> Path:
    """The model ``.zip`` of a run folder or a model file."""
    path = Path(path)
    if path.is_dir():
        model = path / MODEL_FILE
        if not model.is_file():
            raise PolicyLoadError(f"run folder {str(path)!r} has no {MODEL_FILE}")
        return model
    if path.is_file():
        return path
    raise PolicyLoadError(f"no policy at {str(path)!r} (expected a run folder or a .zip model)")


def normalizer_paths(model: Path) -> tuple[Path, Path]:
    """(``.json``, legacy ``.pkl``) normaliser files beside a model: ``vecnormalize[_<steps>].*``."""
    checkpoint = CHECKPOINT_RE.fullmatch(model.name)
    stem = f"vecnormalize_{checkpoint.group(1)}" if checkpoint else "vecnormalize"
    return model.parent / f"{stem}.json", model.parent / f"{stem}.pkl"


def run_folder(path: str | Path) -> Path:
    """The run folder of a policy path: the folder itself, a model's folder, or the run above ``checkpoints/``."""
    path = Path(path)
    if path.is_dir():
        return path
    return path.parent.parent if path.parent.name == CHECKPOINT_DIR else path.parent


def read_run_config(path: str | Path) -> dict | None:
    """The run's ``config.yaml`` (see :func:`run_folder`) as a dict, or None when there is none.

    Raises:
        PolicyLoadError: the file exists but is not a YAML mapping (or not UTF-8 text).
    """
    import yaml

    file = run_folder(path) / CONFIG_FILE
    if not file.is_file():
        return None
    try:
        data = strict_yaml_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PolicyLoadError(f"corrupt run config {str(file)!r}: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict):
        raise PolicyLoadError(f"corrupt run config {str(file)!r}: expected a mapping")
    return data


@dataclass(frozen=True)
class PolicySource:
    """What a policy needs to run, read without loading its weights (from ``quadgait.json`` or ``config.yaml``)."""

    model: Path
    env_id: str
    env_kwargs: dict[str, Any]
    robot: str
    algo: str
    hyperparams: dict[str, Any]
    metadata: dict[str, Any] | None

    @property
    def normalize(self) -> bool:
        return bool(self.metadata["normalize"] if self.metadata else self.hyperparams.get("normalize"))


def describe_policy(path: str | Path) -> PolicySource:
    """Where a policy comes from and what it needs (see :class:`PolicySource`).

    Raises:
        PolicyLoadError: no such file, corrupt metadata or config, a non-quadgait env id, or a model that carries no
            metadata and has no ``config.yaml``.
    """
    from envs.registry import ENVS
    from envs.robots import DEFAULT_ROBOT

    model = resolve_model_path(path)
    if not zipfile.is_zipfile(model):
        raise PolicyLoadError(f"corrupt or truncated policy file {str(model)!r}: not a zip archive, so "
                              "not a stable-baselines3 model")
    meta = read_metadata(model)
    if meta is not None:
        env_id, env_kwargs, algo, hp = meta["env_id"], meta["env_kwargs"], meta["algo"], meta["hyperparams"]
    else:
        config = read_run_config(path)
        if config is None:
            raise PolicyLoadError(f"{str(model)!r} carries no quadgait metadata and has no {CONFIG_FILE} beside it, "
                                  "so its env, settings and normaliser are unknown; use the run folder it was "
                                  "trained in (written by quadgait train)")
        env_id, env_kwargs = config.get("env_id"), config.get("env_kwargs") or {}
        algo, hp = str(config.get("algo", "")), config.get("hyperparams") or {}
        if not isinstance(env_id, str) or not isinstance(env_kwargs, dict) or not isinstance(hp, dict):
            raise PolicyLoadError(f"corrupt run config in {str(run_folder(path))!r}: env_id must be a string, "
                                  "env_kwargs and hyperparams mappings")
    if env_id not in ENVS:
        raise PolicyLoadError(f"the policy's env id {env_id!r} is not a quadgait env; valid: {', '.join(ENVS)}")
    robot = meta["robot"] if meta is not None else str(env_kwargs.get("robot", DEFAULT_ROBOT))
    return PolicySource(model, env_id, dict(env_kwargs), robot, algo.lower(), dict(hp), meta)


def policy_env(path: str | Path) -> tuple[str, dict]:
    """(env id, env keyword arguments) a policy was trained in (:func:`describe_policy`)."""
    source = describe_policy(path)
    return source.env_id, source.env_kwargs


@dataclass
class LoadedPolicy:
    """A loaded policy: the SB3 model, its observation normaliser (None: raw observations) and its source."""

    model: Any
    normalizer: ObservationNormalizer | None
    stats: NormalizerStats | None
    source: PolicySource


def _spaces_of(source: PolicySource):
    import envs  # noqa: F401  (registers the ids)

    env = gym.make(source.env_id, **source.env_kwargs)
    try:
        return env.observation_space, env.action_space
    finally:
        env.close()


def load_policy(path: str | Path, trust_pickle: bool = False, observation_space=None,
                action_space=None) -> LoadedPolicy:
    """Load the policy at ``path`` (run folder, model ``.zip`` or checkpoint) and its observation normaliser.

    Nothing is unpickled unless ``trust_pickle`` (then a legacy ``vecnormalize.pkl`` is read and a model quadgait
    cannot rebuild from plain data is loaded by stable-baselines3). ``observation_space``/``action_space`` (the
    env's) are used for legacy models without metadata; by default they come from the policy's env.

    Raises:
        PolicyLoadError: missing, corrupt or unsafe files, a normaliser that is missing or does not fit.
    """
    source = describe_policy(path)
    meta = source.metadata
    if meta is not None:
        observation_space, action_space = meta["observation_space_box"], meta["action_space_box"]
    elif observation_space is None or action_space is None:
        observation_space, action_space = _spaces_of(source)
    obs_shape = tuple(observation_space.shape)
    if meta is not None:
        stats = meta.get("normalizer_stats")
    else:
        stats = _legacy_normalizer(source, obs_shape, trust_pickle)
    try:
        model = safe_load_model(source.model, source.algo, source.hyperparams, observation_space, action_space)
    except UnsafePickleError:
        if not trust_pickle:
            raise
        model = _pickled_model(source.model, source.algo)
    normalizer = stats.observation_normalizer() if stats is not None else None
    return LoadedPolicy(model, normalizer, stats, source)


def _legacy_normalizer(source: PolicySource, obs_shape: tuple[int, ...], trust_pickle: bool) -> NormalizerStats | None:
    json_path, pkl_path = normalizer_paths(source.model)
    if json_path.is_file():
        return read_normalizer_json(json_path, obs_shape)
    if pkl_path.is_file():
        if not trust_pickle:
            raise UnsafePickleError(f"the normaliser {str(pkl_path)!r} is a pickle, which can run arbitrary code when "
                                  f"loaded: convert the run folder once with 'quadgait convert "
                                  f"{run_folder(source.model)} --trust-pickle', or pass --trust-pickle if you "
                                  "trust the file")
        return read_pickled_normalizer(pkl_path, obs_shape)
    if source.normalize:
        raise PolicyLoadError(f"{str(source.model)!r} was trained with normalised observations but "
                              f"{str(json_path)!r} is missing")
    return None


def _pickled_model(model: Path, first: str):
    """stable-baselines3's own ``.load`` (unpickles the zip's data): the recorded algorithm first, then the others."""
    import stable_baselines3 as sb3

    errors = []
    for name in sorted(ALGORITHMS, key=lambda n: n != first.upper()):
        try:
            return getattr(sb3, name).load(str(model), device="cpu")
        except Exception as exc:  # noqa: BLE001 - try the next algorithm, report all if none fits
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
    raise PolicyLoadError(f"could not load {str(model)!r} as any of {', '.join(ALGORITHMS)} ({'; '.join(errors)})")


class PolicyController:
    """A trained policy behind the :class:`~envs.gaits.controller.Controller` protocol (deterministic actions)."""

    def __init__(self, path: str | Path, env: gym.Env, trust_pickle: bool = False) -> None:
        loaded = load_policy(path, trust_pickle, env.observation_space, env.action_space)
        self.name = Path(path).name
        self.model = loaded.model
        check_spaces(self.model, env)
        self.normalizer = loaded.normalizer

    def reset(self) -> None:
        pass

    def act(self, observation: np.ndarray, state: RobotState, time_s: float, command: np.ndarray) -> np.ndarray:
        obs = self.normalizer(observation) if self.normalizer is not None else observation
        action, _ = self.model.predict(obs.astype(np.float32), deterministic=True)
        return np.asarray(action, dtype=np.float32)


def check_spaces(model, env: gym.Env) -> None:
    """Raise :class:`PolicyLoadError` naming the space that differs between a model and an env."""
    for kind in ("observation_space", "action_space"):
        have, want = getattr(model, kind), getattr(env, kind)
        if getattr(have, "shape", None) != getattr(want, "shape", None) or type(have) is not type(want):
            raise PolicyLoadError(f"{kind} differs: the model expects {_describe(have)}, the env has "
                                  f"{_describe(want)}")


def _describe(space) -> str:
    """A one-line description of a space (Box reprs with per-element bounds span many lines)."""
    text = str(space)
    if "\n" not in text and len(text) <= 120:
        return text
    return f"{type(space).__name__}(shape {getattr(space, 'shape', None)}, {getattr(space, 'dtype', None)})"
