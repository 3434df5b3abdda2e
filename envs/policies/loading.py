"""Trained policies as controllers: a stable-baselines3 model (``.zip``) or a run folder holding one.

A run folder holds ``model.zip`` and, when training normalised observations, ``vecnormalize.pkl``; folders written by
``quadgait train`` also hold ``config.yaml`` (env id, env settings, algorithm) and ``checkpoints/ckpt_<steps>.zip`` with
``checkpoints/vecnormalize_<steps>.pkl``. A checkpoint file can be used as a model: its normaliser and the run's
config.yaml are found beside it. stable-baselines3 ``.zip`` files and the normaliser are pickles: load only files
you trust (ONNX is the safe exchange format).
"""

from __future__ import annotations

import pickle
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np

from envs.state import RobotState

MODEL_FILE = "model.zip"
NORMALIZER_FILE = "vecnormalize.pkl"
CONFIG_FILE = "config.yaml"
CHECKPOINT_DIR = "checkpoints"
CHECKPOINT_RE = re.compile(r"ckpt_(\d+)\.zip")
DEFAULT_ENV_ID = "quadgait/LaikagoWalk-v0"
ALGORITHMS = ("PPO", "SAC", "TD3", "A2C")


class PolicyLoadError(ValueError):
    """A policy file or run folder is missing, corrupt or does not fit the env."""


def resolve_model_path(path: str | Path) -> tuple[Path, Path | None]:
    """(model .zip, normaliser .pkl or None) for a run folder or a model file."""
    path = Path(path)
    if path.is_dir():
        model = path / MODEL_FILE
        if not model.is_file():
            raise PolicyLoadError(f"run folder {str(path)!r} has no {MODEL_FILE}")
    elif path.is_file():
        model = path
    else:
        raise PolicyLoadError(f"no policy at {str(path)!r} (expected a run folder or a .zip model)")
    checkpoint = CHECKPOINT_RE.fullmatch(model.name)
    normalizer = model.parent / (f"vecnormalize_{checkpoint.group(1)}.pkl" if checkpoint else NORMALIZER_FILE)
    if normalizer.is_file():
        return model, normalizer
    config = read_run_config(path) or {}
    if isinstance(config.get("hyperparams"), dict) and config["hyperparams"].get("normalize"):
        raise PolicyLoadError(f"{str(model)!r} was trained with normalised observations but {str(normalizer)!r} "
                              "is missing")
    return model, None


def run_folder(path: str | Path) -> Path:
    """The run folder of a policy path: the folder itself, a model's folder, or the run above ``checkpoints/``."""
    path = Path(path)
    if path.is_dir():
        return path
    return path.parent.parent if path.parent.name == CHECKPOINT_DIR else path.parent


def read_run_config(path: str | Path) -> dict | None:
    """The run's ``config.yaml`` (see :func:`run_folder`) as a dict, or None when there is none.

    Raises:
        PolicyLoadError: the file exists but is not a YAML mapping.
    """
    import yaml

    file = run_folder(path) / CONFIG_FILE
    if not file.is_file():
        return None
    try:
        data = yaml.safe_load(file.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyLoadError(f"corrupt run config {str(file)!r}: {exc}") from None
    if not isinstance(data, dict):
        raise PolicyLoadError(f"corrupt run config {str(file)!r}: expected a mapping")
    return data


def policy_env(path: str | Path) -> tuple[str, dict]:
    """(env id, env keyword arguments) a policy was trained in, from its run's config.yaml.

    Without a config.yaml: ``quadgait/LaikagoWalk-v0`` with default settings.
    """
    config = read_run_config(path) if Path(path).exists() else None
    if config is None:
        return DEFAULT_ENV_ID, {}
    env_id, env_kwargs = config.get("env_id", DEFAULT_ENV_ID), config.get("env_kwargs") or {}
    if not isinstance(env_id, str) or not isinstance(env_kwargs, dict):
        raise PolicyLoadError(f"corrupt run config in {str(run_folder(path))!r}: env_id must be a string and "
                              "env_kwargs a mapping")
    return env_id, dict(env_kwargs)


def load_model(model: Path):
    """Load a stable-baselines3 model file (the run's recorded algorithm first); :class:`PolicyLoadError` if none fits."""
    return _algorithm(Path(model))


def _algorithm(model: Path):
    import stable_baselines3 as sb3

    if not zipfile.is_zipfile(model):
        raise PolicyLoadError(f"{str(model)!r} is not a stable-baselines3 model (not a zip archive)")
    errors = []
    config = read_run_config(model)
    first = str((config or {}).get("algo", "")).upper()
    for name in sorted(ALGORITHMS, key=lambda n: n != first):  # the recorded algorithm first
        try:
            return getattr(sb3, name).load(str(model), device="cpu")
        except Exception as exc:  # noqa: BLE001 - try the next algorithm, report all if none fits
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
    raise PolicyLoadError(f"could not load {str(model)!r} as any of {', '.join(ALGORITHMS)} ({'; '.join(errors)})")


@dataclass
class ObservationNormalizer:
    """VecNormalize's observation transform: clip((obs − mean) / sqrt(var + eps), ±clip)."""

    mean: np.ndarray
    var: np.ndarray
    epsilon: float
    clip: float

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        return np.clip((obs - self.mean) / np.sqrt(self.var + self.epsilon), -self.clip, self.clip)

    @classmethod
    def load(cls, path: Path) -> "ObservationNormalizer":
        try:
            with open(path, "rb") as f:
                vec = pickle.load(f)  # noqa: S301 - documented: load only trusted run folders
            rms = vec.obs_rms
            return cls(np.asarray(rms.mean, float), np.asarray(rms.var, float), float(vec.epsilon),
                       float(vec.clip_obs))
        except Exception as exc:  # noqa: BLE001
            raise PolicyLoadError(f"corrupt normaliser {str(path)!r}: {type(exc).__name__}: {exc}") from exc


class PolicyController:
    """A trained policy behind the :class:`~envs.gaits.controller.Controller` protocol (deterministic actions)."""

    def __init__(self, path: str | Path, env: gym.Env) -> None:
        model_path, normalizer_path = resolve_model_path(path)
        self.name = Path(path).name
        self.model = load_model(model_path)
        check_spaces(self.model, env)
        self.normalizer = ObservationNormalizer.load(normalizer_path) if normalizer_path else None

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
