"""Trained policies as controllers: a stable-baselines3 model (``.zip``) or a run folder holding one.

A run folder holds ``model.zip`` and, when training normalised observations, ``vecnormalize.pkl``. stable-baselines3
``.zip`` files and the normaliser are pickles: load only files you trust (ONNX is the safe exchange format).
"""

from __future__ import annotations

import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np

from envs.state import RobotState

MODEL_FILE = "model.zip"
NORMALIZER_FILE = "vecnormalize.pkl"
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
    normalizer = model.parent / NORMALIZER_FILE
    return model, normalizer if normalizer.is_file() else None


def _algorithm(model: Path):
    import stable_baselines3 as sb3

    if not zipfile.is_zipfile(model):
        raise PolicyLoadError(f"{str(model)!r} is not a stable-baselines3 model (not a zip archive)")
    errors = []
    for name in ALGORITHMS:
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
        self.model = _algorithm(model_path)
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
            raise PolicyLoadError(f"{kind} differs: the model expects {have}, the env has {want}")
