"""The files a trained policy is made of, read without running code from them.

A policy file written by ``quadgait train`` is a stable-baselines3 ``.zip`` with one more entry, ``quadgait.json``
(:data:`METADATA_ENTRY`): what the policy needs to run, in plain JSON (format version :data:`FORMAT_VERSION`):

* ``algo``, ``policy``, ``hyperparams``: the algorithm, policy class name and the validated hyperparameters (plain
  data; ``policy_kwargs.activation_fn`` is a name from :data:`ACTIVATIONS`);
* ``env_id``, ``env_kwargs``, ``robot``: the env and settings it was trained in;
* ``observation_space``, ``action_space``: ``{"shape", "low", "high", "dtype"}`` of the Box spaces;
* ``normalize`` and ``normalizer``: whether observations were normalised, and the normaliser's complete state
  (:class:`NormalizerStats`; ``null`` without normalisation).

So a ``model.zip`` copied on its own still runs correctly, and one that lacks what it needs is refused. The same
normaliser state is also written beside the final model as ``vecnormalize.json`` for other tools.

What is and is not safe: JSON and the YAML read by :func:`safe_yaml_load` cannot run code. The zip's weights are
read with ``torch.load(weights_only=True)``. The zip's ``data`` entry holds some values as cloudpickle blobs (spaces,
the policy class, schedules); :func:`safe_load_model` never unpickles them and rebuilds them from the metadata
instead. ``vecnormalize.pkl`` (older run folders) and SB3's own ``.load`` are pickles, which can run arbitrary code:
quadgait uses them only when asked with ``trust_pickle`` (``--trust-pickle``).
"""

from __future__ import annotations

import json
import math
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# What quadgait writes, and the checks of a policy file against it (envs.policies.metadata); re-exported here.
from envs.policies.metadata import (
    ACTIVATIONS,
    FORMAT_VERSION,
    METADATA_ENTRY,
    SAFE_ALGORITHMS,
    PolicyLoadError,
    check_archive,
    check_hyperparams,
    check_metadata,
    check_weights_fit,
    read_entry,
)

NORMALIZER_JSON = "vecnormalize.json"


class UnsafePickleError(PolicyLoadError):
    """Loading would need unpickling (which can run arbitrary code), and the user did not pass --trust-pickle."""


# ------------------------------------------------------------------------------------------- normaliser
@dataclass(frozen=True)
class ObservationNormalizer:
    """VecNormalize's observation transform: clip((obs − mean) / sqrt(var + eps), ±clip)."""

    mean: np.ndarray
    var: np.ndarray
    epsilon: float
    clip: float

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        return np.clip((obs - self.mean) / np.sqrt(self.var + self.epsilon), -self.clip, self.clip)


@dataclass(frozen=True)
class NormalizerStats:
    """The complete state of a stable-baselines3 ``VecNormalize`` (what its pickle holds, minus the env).

    ``obs_mean``/``obs_var`` have the observation's shape; the return statistics are scalars.
    """

    obs_mean: np.ndarray
    obs_var: np.ndarray
    obs_count: float
    ret_mean: float
    ret_var: float
    ret_count: float
    clip_obs: float
    clip_reward: float
    gamma: float
    epsilon: float
    norm_obs: bool
    norm_reward: bool

    @classmethod
    def from_vec_normalize(cls, vec) -> NormalizerStats:
        return cls(np.array(vec.obs_rms.mean, dtype=np.float64), np.array(vec.obs_rms.var, dtype=np.float64),
                   float(vec.obs_rms.count), float(np.asarray(vec.ret_rms.mean)), float(np.asarray(vec.ret_rms.var)),
                   float(vec.ret_rms.count), float(vec.clip_obs), float(vec.clip_reward), float(vec.gamma),
                   float(vec.epsilon), bool(vec.norm_obs), bool(vec.norm_reward))

    def to_dict(self) -> dict[str, Any]:
        return {"format": "quadgait-vecnormalize", "version": FORMAT_VERSION, "norm_obs": self.norm_obs,
                "norm_reward": self.norm_reward, "clip_obs": self.clip_obs, "clip_reward": self.clip_reward,
                "gamma": self.gamma, "epsilon": self.epsilon,
                "obs_rms": {"mean": self.obs_mean.tolist(), "var": self.obs_var.tolist(), "count": self.obs_count},
                "ret_rms": {"mean": self.ret_mean, "var": self.ret_var, "count": self.ret_count}}

    @classmethod
    def from_dict(cls, data: Any, source: str, obs_shape: tuple[int, ...] | None = None) -> NormalizerStats:
        """Parse and check :meth:`to_dict`'s form; :class:`PolicyLoadError` naming ``source`` and the problem."""
        def fail(why: str) -> PolicyLoadError:
            return PolicyLoadError(f"corrupt normaliser in {source}: {why}")

        try:
            obs, ret = data["obs_rms"], data["ret_rms"]
            mean, var = np.array(obs["mean"], dtype=np.float64), np.array(obs["var"], dtype=np.float64)
            scalars = {k: float(v) for k, v in (("obs_count", obs["count"]), ("ret_mean", ret["mean"]),
                                                ("ret_var", ret["var"]), ("ret_count", ret["count"]),
                                                ("clip_obs", data["clip_obs"]), ("clip_reward", data["clip_reward"]),
                                                ("gamma", data["gamma"]), ("epsilon", data["epsilon"]))}
            flags = {k: data[k] for k in ("norm_obs", "norm_reward")}
        except (KeyError, TypeError, ValueError) as exc:
            raise fail(f"expected the fields of vecnormalize.json ({type(exc).__name__}: {exc})") from None
        if not all(isinstance(v, bool) for v in flags.values()):
            raise fail("norm_obs and norm_reward must be true or false")
        if mean.ndim != 1 or mean.shape != var.shape or mean.size == 0:
            raise fail(f"mean and var must be vectors of one length, got shapes {mean.shape} and {var.shape}")
        if obs_shape is not None and mean.shape != tuple(obs_shape):
            raise fail(f"its statistics have shape {mean.shape}, the policy's observation has shape "
                       f"{tuple(obs_shape)}")
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(var))):
            raise fail("mean and var must be finite")
        if np.any(var < 0):
            raise fail(f"var must be >= 0 (index {int(np.argmin(var))} is {var.min():g})")
        if not all(math.isfinite(v) for v in scalars.values()):
            raise fail("counts, clips, gamma and epsilon must be finite")
        if scalars["epsilon"] <= 0 or scalars["clip_obs"] <= 0 or scalars["obs_count"] <= 0 or scalars["ret_var"] < 0:
            raise fail("epsilon, clip_obs and the observation count must be > 0, the return variance >= 0")
        return cls(mean, var, norm_obs=flags["norm_obs"], norm_reward=flags["norm_reward"], **scalars)

    def observation_normalizer(self) -> ObservationNormalizer | None:
        if not self.norm_obs:
            return None
        return ObservationNormalizer(self.obs_mean, self.obs_var, self.epsilon, self.clip_obs)

    def make_vec_normalize(self, venv):
        """A ``VecNormalize`` around ``venv`` holding these statistics (the env must have the observation shape)."""
        from stable_baselines3.common.running_mean_std import RunningMeanStd
        from stable_baselines3.common.vec_env import VecNormalize

        shape = tuple(venv.observation_space.shape or ())
        if shape != self.obs_mean.shape:
            raise PolicyLoadError(f"the normaliser's statistics have shape {self.obs_mean.shape}, the env's "
                                  f"observation has shape {shape}")
        vec = VecNormalize(venv, norm_obs=self.norm_obs, norm_reward=self.norm_reward, clip_obs=self.clip_obs,
                           clip_reward=self.clip_reward, gamma=self.gamma, epsilon=self.epsilon)
        obs_rms = vec.obs_rms
        if not isinstance(obs_rms, RunningMeanStd):  # one per key for a Dict observation space
            raise PolicyLoadError("the normaliser's statistics are for a Box observation, not a Dict")
        obs_rms.mean, obs_rms.var, obs_rms.count = self.obs_mean.copy(), self.obs_var.copy(), self.obs_count
        # 0-d arrays, as VecNormalize's own return statistics (RunningMeanStd(shape=())) are.
        vec.ret_rms.mean, vec.ret_rms.var = np.full((), self.ret_mean), np.full((), self.ret_var)
        vec.ret_rms.count = self.ret_count
        return vec


def read_normalizer_json(path: Path, obs_shape: tuple[int, ...] | None = None) -> NormalizerStats:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PolicyLoadError(f"corrupt normaliser {str(path)!r}: {exc}") from None
    return NormalizerStats.from_dict(data, repr(str(path)), obs_shape)


def read_pickled_normalizer(path: Path, obs_shape: tuple[int, ...] | None = None) -> NormalizerStats:
    """A ``vecnormalize.pkl``. Unpickling can run arbitrary code: call this only for files the user trusts."""
    try:
        with open(path, "rb") as f:
            vec = pickle.load(f)  # noqa: S301 - only behind --trust-pickle
        stats = NormalizerStats.from_vec_normalize(vec)
    except Exception as exc:  # noqa: BLE001 - anything a corrupt pickle raises
        raise PolicyLoadError(f"corrupt normaliser {str(path)!r}: {type(exc).__name__}: {exc}") from None
    return NormalizerStats.from_dict(stats.to_dict(), repr(str(path)), obs_shape)


# ------------------------------------------------------------------------------------------- metadata
def space_dict(space) -> dict[str, Any]:
    """A Box space as plain data."""
    return {"shape": list(space.shape), "low": np.asarray(space.low, dtype=np.float64).tolist(),
            "high": np.asarray(space.high, dtype=np.float64).tolist(), "dtype": str(np.dtype(space.dtype))}


def space_from_dict(data: dict[str, Any]):
    from gymnasium import spaces

    shape = tuple(int(n) for n in data["shape"])
    low, high = (np.array(data[k], dtype=np.float64).reshape(shape) for k in ("low", "high"))
    return spaces.Box(low.astype(data["dtype"]), high.astype(data["dtype"]), shape, np.dtype(data["dtype"]))


def policy_metadata(*, algo: str, hyperparams: dict[str, Any], env_id: str, env_kwargs: dict[str, Any], robot: str,
                    observation_space, action_space, normalizer: NormalizerStats | None) -> dict[str, Any]:
    return {"format": "quadgait-policy", "version": FORMAT_VERSION, "algo": algo.lower(),
            "policy": hyperparams.get("policy", "MlpPolicy"), "hyperparams": hyperparams, "env_id": env_id,
            "env_kwargs": dict(env_kwargs), "robot": robot, "observation_space": space_dict(observation_space),
            "action_space": space_dict(action_space), "normalize": normalizer is not None,
            "normalizer": normalizer.to_dict() if normalizer is not None else None}


def read_metadata(model: Path) -> dict[str, Any] | None:
    """The ``quadgait.json`` entry of a policy zip, checked field by field against what quadgait writes
    (:mod:`envs.policies.metadata`), or None when the zip has none.

    Raises:
        PolicyLoadError: a corrupt, truncated or oversized archive, or a field quadgait would not write.
    """
    check_archive(model)
    with zipfile.ZipFile(model) as archive:
        if METADATA_ENTRY not in archive.namelist():
            return None
    where = f"{str(model)!r} ({METADATA_ENTRY})"
    try:
        meta = json.loads(read_entry(model, METADATA_ENTRY).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else f"{type(exc).__name__}: {exc}"
        raise PolicyLoadError(f"corrupt policy metadata in {where}: not JSON ({reason})") from None
    meta = dict(check_metadata(meta, where))
    for key in ("observation_space", "action_space"):
        meta[key + "_box"] = space_from_dict(meta[key])
    if meta["normalize"]:
        meta["normalizer_stats"] = NormalizerStats.from_dict(meta["normalizer"], where,
                                                             meta["observation_space_box"].shape)
    _stored_data(model)  # SB3's own entry parses as an object
    check_weights_fit(model, meta["algo"], meta["hyperparams"].get("policy_kwargs") or {})
    return meta


def add_metadata(zip_path: Path, metadata: dict[str, Any]) -> None:
    """Append (or replace) the ``quadgait.json`` entry of a zip in place."""
    clean = {k: v for k, v in metadata.items() if not k.endswith(("_box", "_stats"))}
    text = json.dumps(clean, indent=1, allow_nan=False)
    with zipfile.ZipFile(zip_path) as archive:
        has = METADATA_ENTRY in archive.namelist()
    if has:  # rewrite without the old entry (zip files cannot delete entries in place)
        import io

        buffer = io.BytesIO()
        with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                if info.filename != METADATA_ENTRY:
                    dst.writestr(info, src.read(info.filename))
        Path(zip_path).write_bytes(buffer.getvalue())
    with zipfile.ZipFile(zip_path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(METADATA_ENTRY, text)


# ------------------------------------------------------------------------------------------- safe model load
def _stored_data(model: Path) -> dict[str, Any]:
    check_archive(model)
    try:
        data = json.loads(read_entry(model, "data").decode("utf-8"))
    except (OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise PolicyLoadError(f"{str(model)!r} is not a stable-baselines3 model ({type(exc).__name__}: "
                              f"{' '.join(str(exc).split())})") from None
    if not isinstance(data, dict):
        raise PolicyLoadError(f"{str(model)!r} is not a stable-baselines3 model (its data entry is a JSON "
                              f"{type(data).__name__}, not an object)")
    return data


def policy_kwargs_objects(policy_kwargs: dict[str, Any]) -> dict[str, Any]:
    """Plain ``policy_kwargs`` with the activation named by a string turned into its ``torch.nn`` class."""
    import torch.nn as nn

    kwargs = dict(policy_kwargs)
    if isinstance(kwargs.get("activation_fn"), str):
        kwargs["activation_fn"] = getattr(nn, ACTIVATIONS[kwargs["activation_fn"]])
    return kwargs


def safe_load_model(model: Path, algo: str, hyperparams: dict[str, Any], observation_space, action_space, env=None,
                    **load_kwargs):
    """Load an SB3 ``.zip`` without unpickling anything: every cloudpickled value in its ``data`` entry is
    replaced by one rebuilt from plain data (``hyperparams``, the spaces); the weights are read by
    ``torch.load(weights_only=True)``.

    Raises:
        PolicyLoadError: an algorithm quadgait cannot rebuild, or a pickled value it does not know.
    """
    import stable_baselines3 as sb3
    from stable_baselines3.common.utils import FloatSchedule

    key = str(algo).lower()
    if key not in SAFE_ALGORITHMS:
        raise UnsafePickleError(f"{str(model)!r}: quadgait can load {', '.join(SAFE_ALGORITHMS)} models without "
                              f"unpickling, not {algo!r}; pass --trust-pickle to load it with stable-baselines3")
    algo_cls = getattr(sb3, SAFE_ALGORITHMS[key])
    data = _stored_data(model)
    pickled = {k for k, v in data.items() if isinstance(v, dict) and ":serialized:" in v}
    policy = hyperparams.get("policy", "MlpPolicy")
    if not isinstance(policy, str) or policy not in algo_cls.policy_aliases:
        raise PolicyLoadError(f"{str(model)!r}: unknown policy {policy!r} for {algo_cls.__name__}")
    check_hyperparams(hyperparams, repr(str(model)))  # legacy models' config.yaml too
    check_weights_fit(model, key, hyperparams.get("policy_kwargs") or {})
    policy_kwargs = policy_kwargs_objects(hyperparams.get("policy_kwargs") or {})
    if key == "sac" and "use_sde" in data:
        policy_kwargs["use_sde"] = bool(data["use_sde"])
    train_freq = hyperparams.get("train_freq", 1)
    rebuilt = {
        "policy_class": algo_cls.policy_aliases[policy], "policy_kwargs": policy_kwargs,
        "observation_space": observation_space, "action_space": action_space,
        "lr_schedule": FloatSchedule(float(hyperparams.get("learning_rate", 3e-4))),
        "clip_range": float(hyperparams.get("clip_range", 0.2)), "clip_range_vf": hyperparams.get("clip_range_vf"),
        "train_freq": tuple(train_freq) if isinstance(train_freq, list) else train_freq,
        "rollout_buffer_class": None, "replay_buffer_class": None, "action_noise": None, "_last_obs": None,
        "_last_episode_starts": None, "_last_original_obs": None, "ep_info_buffer": None, "ep_success_buffer": None,
    }
    unknown = sorted(pickled - set(rebuilt))
    if unknown:
        raise UnsafePickleError(f"{str(model)!r} stores {', '.join(unknown)} as pickles, which quadgait does not "
                              "rebuild; pass --trust-pickle to load it with stable-baselines3 (trusted files only)")
    if not pickled >= {"observation_space", "action_space"} and ("observation_space" not in data
                                                                  or "action_space" not in data):
        raise PolicyLoadError(f"{str(model)!r} is not a stable-baselines3 model (no spaces in its data)")
    try:
        return algo_cls.load(str(model), device="cpu", custom_objects={k: rebuilt[k] for k in pickled} | (
            {"policy_kwargs": policy_kwargs} if "policy_kwargs" not in pickled else {}), env=env, **load_kwargs)
    except Exception as exc:  # noqa: BLE001 - a zip that does not fit: one message naming it
        raise PolicyLoadError(f"could not load {str(model)!r} as {algo_cls.__name__}: {type(exc).__name__}: "
                              f"{' '.join(str(exc).split())}") from None


# ------------------------------------------------------------------------------------------- YAML
def strict_yaml_load(text: str) -> Any:
    """``yaml.safe_load`` that also rejects duplicate keys and anchors/aliases (so no YAML bomb); raises
    ``yaml.YAMLError`` with the position."""
    import yaml

    class StrictLoader(yaml.SafeLoader):
        def compose_node(self, parent, index):
            event = self.peek_event()
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise yaml.composer.ComposerError(None, None, "anchors and aliases (&name, *name) are not allowed",
                                                  event.start_mark)
            return super().compose_node(parent, index)

        def construct_mapping(self, node, deep=False):
            mapping = super().construct_mapping(node, deep=deep)
            if len(mapping) != len(node.value):
                seen = set()
                for key_node, _ in node.value:
                    key = self.construct_object(key_node, deep=True)
                    if key in seen:
                        raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}",
                                                                key_node.start_mark)
                    seen.add(key)
            return mapping

    return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass
