"""Checks of a policy file against what ``quadgait train`` writes, before anything is built from it.

A policy ``.zip`` is read by several entry points (eval, export, play, bench, convert, train --resume); each goes
through :func:`check_archive` and :func:`check_metadata`, so a tampered or truncated file gets one
:class:`~envs.policies.files.PolicyLoadError` naming the file and the field, never a traceback, and costs little
to refuse (reliability audit 2026-12, D3-D9):

* the archive: a zip whose entries pass their CRC check, holding stable-baselines3's ``data`` and ``policy.pth``
  (a truncated model can still hold the end record of the zip inside ``policy.pth``, and then looks like a zip of
  other entries), each entry no larger than :data:`MAX_ENTRY_BYTES` (a small zip can inflate to gigabytes);
* ``quadgait.json``: exactly the fields :func:`~envs.policies.files.policy_metadata` writes, each of the type and
  range it writes (:func:`check_metadata`); the layer sizes of ``policy_kwargs.net_arch`` at most
  :data:`MAX_LAYER_WIDTH` wide and :data:`MAX_LAYERS` deep (the policy is built before its weights are read, so a
  6000-wide layer cost tens of seconds before the mismatch showed), and equal to ``policy.pth``'s
  (:func:`check_weights_fit`).
"""

from __future__ import annotations

import io
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

METADATA_ENTRY = "quadgait.json"
FORMAT_VERSION = 1
#: ``policy_kwargs.activation_fn`` names -> ``torch.nn`` class names.
ACTIVATIONS = {"tanh": "Tanh", "relu": "ReLU", "elu": "ELU"}
#: stable-baselines3 algorithms quadgait can rebuild without unpickling.
SAFE_ALGORITHMS = {"ppo": "PPO", "sac": "SAC"}


class PolicyLoadError(ValueError):
    """A policy file or run folder is missing, corrupt, unsafe to load, or does not fit the env."""


#: Entries stable-baselines3 writes that quadgait reads.
REQUIRED_ENTRIES = ("data", "policy.pth")
#: Largest uncompressed size of any entry, bytes (quadgait's own: quadgait.json < 10 kB, data < 30 kB, weights
#: and optimizer state < 1 MB).
MAX_ENTRY_BYTES = {METADATA_ENTRY: 1 << 20, "data": 4 << 20}
MAX_OTHER_ENTRY_BYTES = 256 << 20
#: Largest hidden layer and most hidden layers ``net_arch`` may ask for.
MAX_LAYER_WIDTH = 4096
MAX_LAYERS = 8
#: Largest observation or action vector a policy file may declare.
MAX_SPACE_SIZE = 4096
#: The fields ``policy_metadata`` writes.
METADATA_FIELDS = ("format", "version", "algo", "policy", "hyperparams", "env_id", "env_kwargs", "robot",
                   "observation_space", "action_space", "normalize", "normalizer")
#: ``policy_kwargs`` keys quadgait's hyperparameter files may set (train.hyperparams), with their kinds.
POLICY_KWARGS = {"net_arch": "net_arch", "activation_fn": "activation", "log_std_init": "number",
                 "ortho_init": "bool", "full_std": "bool", "use_expln": "bool", "squash_output": "bool",
                 "share_features_extractor": "bool", "normalize_images": "bool", "clip_mean": "positive",
                 "n_critics": "n_critics"}
#: Top-level hyperparameters the loader uses to rebuild the model, with their kinds (the others are plain data
#: it never reads).
LOADED_HYPERPARAMS = {"learning_rate": "positive", "clip_range": "positive", "clip_range_vf": "positive_or_none",
                      "train_freq": "train_freq", "normalize": "bool", "policy": "policy"}
#: Policy classes a vector observation can use.
POLICIES = ("MlpPolicy",)


def _fail(where: str, why: str) -> PolicyLoadError:
    return PolicyLoadError(f"corrupt policy metadata in {where}: {why}")


# ------------------------------------------------------------------------------------------- the archive
def check_archive(model: Path) -> None:
    """Raise :class:`PolicyLoadError` unless ``model`` is a whole zip holding a stable-baselines3 model."""
    name = repr(str(model))
    try:
        with zipfile.ZipFile(model) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            missing = [entry for entry in REQUIRED_ENTRIES if entry not in names]
            if missing:
                raise PolicyLoadError(f"corrupt or truncated policy file {name}: it has no {' or '.join(missing)} "
                                      "entry (a stable-baselines3 model has data and policy.pth)")
            for info in infos:
                limit = MAX_ENTRY_BYTES.get(info.filename, MAX_OTHER_ENTRY_BYTES)
                if info.file_size > limit:
                    raise PolicyLoadError(f"policy file {name}: its entry {info.filename!r} inflates to "
                                          f"{info.file_size} bytes, more than the {limit} quadgait accepts")
            bad = archive.testzip()
    except (OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError) as exc:
        if isinstance(exc, PolicyLoadError):
            raise
        raise PolicyLoadError(f"corrupt or truncated policy file {name}: {' '.join(str(exc).split())}") from None
    if bad is not None:
        raise PolicyLoadError(f"corrupt or truncated policy file {name}: entry {bad!r} fails its CRC check")


def read_entry(model: Path, entry: str) -> bytes:
    """One entry of a checked archive (:func:`check_archive`), at most its size limit."""
    with zipfile.ZipFile(model) as archive:
        with archive.open(entry) as f:
            data = f.read(MAX_ENTRY_BYTES.get(entry, MAX_OTHER_ENTRY_BYTES) + 1)
    if len(data) > MAX_ENTRY_BYTES.get(entry, MAX_OTHER_ENTRY_BYTES):
        raise PolicyLoadError(f"policy file {str(model)!r}: its entry {entry!r} is too large")
    return data


# ------------------------------------------------------------------------------------------- field kinds
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def check_layers(value: Any, key: str, where: str) -> None:
    """``net_arch``: a list of layer sizes, or a mapping of pi/vf/qf to such lists, within the size limits."""
    def check_list(layers: Any, what: str) -> None:
        if not isinstance(layers, list) or not all(_is_int(n) for n in layers):
            raise _fail(where, f"{what} must be a list of layer sizes, got {_short(layers)}")
        if len(layers) > MAX_LAYERS or any(not 1 <= n <= MAX_LAYER_WIDTH for n in layers):
            raise _fail(where, f"{what} must have at most {MAX_LAYERS} layers of 1 to {MAX_LAYER_WIDTH} units, "
                               f"got {_short(layers)}")

    if isinstance(value, dict):
        unknown = sorted(set(value) - {"pi", "vf", "qf"})
        if unknown or not value:
            raise _fail(where, f"{key} must map pi, vf or qf to layer sizes, got keys {unknown or 'none'}")
        for part, layers in value.items():
            check_list(layers, f"{key}.{part}")
    else:
        check_list(value, key)


def _check_kind(kind: str, value: Any, key: str, where: str) -> None:
    ok = {"number": _is_number(value), "positive": _is_number(value) and value > 0, "bool": isinstance(value, bool),
          "positive_or_none": value is None or (_is_number(value) and value > 0),
          "n_critics": _is_int(value) and 1 <= value <= 10,
          "activation": isinstance(value, str) and value in ACTIVATIONS,
          "policy": isinstance(value, str) and value in POLICIES,
          "train_freq": (_is_int(value) and value >= 1) or (
              isinstance(value, list) and len(value) == 2 and _is_int(value[0]) and value[0] >= 1
              and value[1] in ("step", "episode"))}.get(kind)
    if kind == "net_arch":
        check_layers(value, key, where)
        return
    if not ok:
        expected = {"number": "a finite number", "positive": "a finite number > 0", "bool": "true or false",
                    "positive_or_none": "null or a finite number > 0", "n_critics": "an integer in [1, 10]",
                    "activation": f"one of {', '.join(ACTIVATIONS)}", "policy": f"one of {', '.join(POLICIES)}",
                    "train_freq": "an integer >= 1 or [n, 'step' | 'episode']"}[kind]
        raise _fail(where, f"{key} must be {expected}, got {_short(value)}")


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_policy_kwargs(kwargs: Any, where: str) -> None:
    """``hyperparams.policy_kwargs`` as quadgait writes them (keys of :data:`POLICY_KWARGS`, of their kinds)."""
    if not isinstance(kwargs, dict):
        raise _fail(where, f"hyperparams.policy_kwargs must be a mapping, got {_short(kwargs)}")
    for key, value in kwargs.items():
        if key not in POLICY_KWARGS:
            raise _fail(where, f"hyperparams.policy_kwargs.{key} is not a setting quadgait writes; valid: "
                               f"{', '.join(POLICY_KWARGS)}")
        _check_kind(POLICY_KWARGS[key], value, f"hyperparams.policy_kwargs.{key}", where)


def check_hyperparams(hp: Any, where: str) -> None:
    """The hyperparameters the loader reads (:data:`LOADED_HYPERPARAMS`, ``policy_kwargs``)."""
    if not isinstance(hp, dict):
        raise _fail(where, f"hyperparams must be a mapping, got {_short(hp)}")
    for key, kind in LOADED_HYPERPARAMS.items():
        if key in hp:
            _check_kind(kind, hp[key], f"hyperparams.{key}", where)
    check_policy_kwargs(hp.get("policy_kwargs") or {}, where)


def _check_space(data: Any, key: str, where: str) -> None:
    if not isinstance(data, dict) or set(data) != {"shape", "low", "high", "dtype"}:
        raise _fail(where, f"{key} must be a mapping with shape, low, high and dtype")
    shape, dtype = data["shape"], data["dtype"]
    if not (isinstance(shape, list) and len(shape) == 1 and _is_int(shape[0]) and 1 <= shape[0] <= MAX_SPACE_SIZE):
        raise _fail(where, f"{key}.shape must be [n] with n in [1, {MAX_SPACE_SIZE}], got {_short(shape)}")
    if dtype not in ("float32", "float64"):
        raise _fail(where, f"{key}.dtype must be float32 or float64, got {_short(dtype)}")
    bounds = {}
    for side in ("low", "high"):
        values = data[side]
        if not isinstance(values, list) or len(values) != shape[0]:
            raise _fail(where, f"{key}.{side} must be a list of {shape[0]} numbers")
        for i, v in enumerate(values):
            if not _is_number(v):
                raise _fail(where, f"{key}.{side}[{i}] must be a finite number, got {_short(v)}")
        bounds[side] = np.array(values, dtype=np.float64)
    if np.any(bounds["low"] > bounds["high"]):
        i = int(np.argmax(bounds["low"] > bounds["high"]))
        raise _fail(where, f"{key}.low[{i}] = {bounds['low'][i]:g} is above {key}.high[{i}] = {bounds['high'][i]:g}")


def check_env(meta: dict[str, Any], where: str) -> None:
    """``env_id`` a quadgait id, ``env_kwargs`` valid settings of it, ``robot`` the robot those settings give."""
    from envs.registry import ENVS, check_env_kwargs
    from envs.robots import DEFAULT_ROBOT, robot_names

    env_id, env_kwargs, robot = meta["env_id"], meta["env_kwargs"], meta["robot"]
    if env_id not in ENVS:
        raise _fail(where, f"env_id {_short(env_id)} is not a quadgait env; valid: {', '.join(ENVS)}")
    if not isinstance(env_kwargs, dict):
        raise _fail(where, f"env_kwargs must be a mapping of env settings, got {_short(env_kwargs)}")
    try:
        check_env_kwargs(env_id, env_kwargs)
    except (ValueError, TypeError) as exc:
        raise _fail(where, f"env_kwargs: {' '.join(str(exc).split())}") from None
    if not isinstance(robot, str) or robot not in robot_names():
        raise _fail(where, f"robot {_short(robot)} is not a robot description; valid: {', '.join(robot_names())}")
    trained_on = env_kwargs.get("robot", DEFAULT_ROBOT)
    if robot != trained_on:
        raise _fail(where, f"robot is {robot!r} but env_kwargs.robot says {trained_on!r}")


def check_metadata(meta: Any, where: str) -> dict[str, Any]:
    """``quadgait.json`` checked field by field (``where`` names the file) as plain data; returns it. The caller
    (:func:`envs.policies.files.read_metadata`) builds the spaces and the normaliser from it."""
    if not isinstance(meta, dict) or meta.get("format") != "quadgait-policy":
        raise _fail(where, "not a quadgait-policy record")
    if meta.get("version") != FORMAT_VERSION:
        raise PolicyLoadError(f"policy metadata in {where} has format version {_short(meta.get('version'))}; "
                              f"this quadgait reads version {FORMAT_VERSION}")
    missing = [key for key in METADATA_FIELDS if key not in meta]
    unknown = [key for key in meta if key not in METADATA_FIELDS]
    if missing or unknown:
        raise _fail(where, f"{'missing field(s) ' + ', '.join(missing) if missing else ''}"
                           f"{'; ' if missing and unknown else ''}"
                           f"{'unknown field(s) ' + ', '.join(map(_short, unknown)) if unknown else ''}; "
                           f"quadgait writes {', '.join(METADATA_FIELDS)}")
    if meta["algo"] not in SAFE_ALGORITHMS:
        raise _fail(where, f"algo must be one of {', '.join(SAFE_ALGORITHMS)}, got {_short(meta['algo'])}")
    _check_kind("policy", meta["policy"], "policy", where)
    _check_kind("bool", meta["normalize"], "normalize", where)
    check_hyperparams(meta["hyperparams"], where)
    if meta["hyperparams"].get("policy", meta["policy"]) != meta["policy"]:
        raise _fail(where, "policy differs from hyperparams.policy")
    check_env(meta, where)
    for key in ("observation_space", "action_space"):
        _check_space(meta[key], key, where)
    if meta["normalize"] != (meta["normalizer"] is not None):
        raise _fail(where, f"'normalize' is {meta['normalize']} but the normaliser is "
                           f"{'missing' if meta['normalize'] else 'present'}")
    return meta  # the normaliser's own checks: NormalizerStats.from_dict (envs.policies.files)


# ------------------------------------------------------------------------------------------- the weights
#: Where each algorithm's hidden layers sit in ``policy.pth``: net_arch part -> state-dict prefix.
_LAYER_PREFIXES = {"ppo": {"pi": "mlp_extractor.policy_net.", "vf": "mlp_extractor.value_net."},
                   "sac": {"pi": "actor.latent_pi.", "qf": "critic.qf0."}}
_DEFAULT_NET_ARCH = {"ppo": [64, 64], "sac": [256, 256]}


def check_weights_fit(model: Path, algo: str, policy_kwargs: dict[str, Any]) -> None:
    """Compare ``net_arch`` with the hidden layer widths stored in ``policy.pth`` (read without unpickling), so a
    network that does not fit the weights is refused before it is built."""
    import torch

    key = str(algo).lower()
    if key not in _LAYER_PREFIXES:
        return
    net_arch = policy_kwargs.get("net_arch", _DEFAULT_NET_ARCH[key])
    check_layers(net_arch, "hyperparams.policy_kwargs.net_arch", repr(str(model)))
    try:
        state = torch.load(io.BytesIO(read_entry(model, "policy.pth")), map_location="cpu", weights_only=True)
    except PolicyLoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever a corrupt weights file raises
        raise PolicyLoadError(f"corrupt policy file {str(model)!r}: policy.pth cannot be read "
                              f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]})") from None
    if not isinstance(state, dict):
        raise PolicyLoadError(f"corrupt policy file {str(model)!r}: policy.pth is not a state dict")
    for part, prefix in _LAYER_PREFIXES[key].items():
        wanted = net_arch.get(part, []) if isinstance(net_arch, dict) else net_arch
        stored = []
        for index in range(0, 2 * MAX_LAYERS + 2, 2):
            weight = state.get(f"{prefix}{index}.weight")
            if weight is None:
                break
            stored.append(int(weight.shape[0]))
        if part == "qf":  # the critic's Sequential ends in its 1-wide output layer
            stored = stored[:-1]
        if stored != list(wanted):
            raise PolicyLoadError(f"policy file {str(model)!r}: net_arch gives {part} layers {_short(wanted)}, "
                                  f"its weights (policy.pth) have {stored}")
