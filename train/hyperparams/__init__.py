"""Training hyperparameters: YAML files of plain data, one entry per env id, validated before anything runs.

``ppo.yaml`` and ``sac.yaml`` beside this module hold the packaged defaults. Each top-level key is an env id
(``quadgait/LaikagoWalk-v0``) or ``default`` (used for ids not listed); each value is a mapping of

* quadgait keys (:data:`QUADGAIT_KEYS`): ``n_envs``, ``normalize``, ``policy``, ``policy_kwargs``, ``env_kwargs``,
  ``eval_freq``, ``checkpoint_freq``, ``eval_episodes``, ``eval_seconds``, ``episode_seconds``,
  ``eval_env_kwargs``, ``eval_options``;
* the SB3 algorithm's constructor arguments (``learning_rate``, ``n_steps``, ``gamma``, ...).

Files are read with a strict ``yaml.safe_load`` (duplicate keys and anchors/aliases are errors) and nothing is ever
evaluated: classes are named from allow-lists (``activation_fn: tanh``), schedules are not supported (a float
learning rate), sizes that decide memory are bounded (:data:`MAX_VALUES`), and an unknown key or a wrong type raises
``ValueError`` naming the key.
"""

from __future__ import annotations

import inspect
import math
from pathlib import Path
from typing import Any

import yaml

from envs.policies.files import ACTIVATIONS, strict_yaml_load

HYPERPARAMS_DIR = Path(__file__).resolve().parent
DEFAULT_ENTRY = "default"
#: Algorithm names accepted on the command line -> stable-baselines3 class names.
ALGORITHMS = {"ppo": "PPO", "sac": "SAC"}
#: Upper bounds of the keys that size buffers (larger values would ask for terabytes before training starts).
MAX_VALUES = {"n_envs": 256, "n_steps": 2**20, "batch_size": 2**20, "buffer_size": 10**7, "n_epochs": 10_000,
              "eval_episodes": 1000}
#: quadgait's own keys: kind, and the value used when a file leaves the key out.
QUADGAIT_KEYS: dict[str, tuple[str, Any]] = {
    "n_envs": ("count", 1),
    "normalize": ("bool", False),
    "policy": ("str", "MlpPolicy"),
    "policy_kwargs": ("mapping", {}),
    "env_kwargs": ("mapping", {}),
    "eval_freq": ("count0", 10_000),  # env steps (all envs together) between evaluations; 0 = never
    "checkpoint_freq": ("count0", 50_000),  # env steps between checkpoints; 0 = only at the end
    "eval_episodes": ("count", 1),
    "eval_seconds": ("positive", 10.0),  # simulated seconds per evaluation episode
    "episode_seconds": ("positive", 20.0),  # simulated seconds per training episode (max_episode_steps)
    "eval_env_kwargs": ("mapping", {}),  # env settings of the evaluation env, over env_kwargs (e.g. no pushes)
    "eval_options": ("mapping", {}),  # reset options of evaluation episodes (e.g. a command_schedule)
    # Evaluation episode i resets with seed + eval_seed_offset + i: a large offset gives commands the training
    # envs (seeded seed, seed + 1, ...) never drew.
    "eval_seed_offset": ("count0", 0),
}
#: Constructor arguments quadgait sets itself.
SET_BY_QUADGAIT = {"env": "the env id", "seed": "--seed", "tensorboard_log": "the run folder (RUN/tb)",
                   "_init_setup_model": "stable-baselines3"}
#: Constructor arguments that take Python objects, which a plain-data file cannot express.
NOT_PLAIN_DATA = {"rollout_buffer_class", "replay_buffer_class", "action_noise", "features_extractor_class",
                  "optimizer_class"}
#: Kinds for SB3 arguments whose default value does not tell the accepted type.
SB3_KINDS = {"learning_rate": "positive", "clip_range": "positive", "clip_range_vf": "positive_or_none",
             "target_kl": "positive_or_none", "train_freq": "train_freq", "rollout_buffer_kwargs": "mapping",
             "replay_buffer_kwargs": "mapping", "optimizer_kwargs": "mapping", "features_extractor_kwargs": "mapping",
             "gamma": "unit", "gae_lambda": "unit", "tau": "unit", "n_steps": "count", "batch_size": "count",
             "n_epochs": "count", "buffer_size": "count", "gradient_steps": "int", "net_arch": "net_arch",
             "activation_fn": "activation", "log_std_init": "float", "clip_mean": "positive"}


def algorithm_class(algo: str) -> type:
    """The stable-baselines3 class for ``algo`` ("ppo", "sac"; case-insensitive); ValueError listing valid names."""
    import stable_baselines3

    key = str(algo).strip().lower()
    if key not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algo!r}; valid: {', '.join(ALGORITHMS)}")
    return getattr(stable_baselines3, ALGORITHMS[key])


def _init_parameters(cls: type, skip: tuple[str, ...] = ("self",)) -> dict[str, inspect.Parameter]:
    return {name: p for name, p in inspect.signature(cls.__init__).parameters.items()
            if name not in skip and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}


def valid_keys(algo: str) -> list[str]:
    """Every key a hyperparameter entry for ``algo`` may hold (quadgait keys + the algorithm's arguments)."""
    params = _init_parameters(algorithm_class(algo))
    return sorted(set(QUADGAIT_KEYS) | {k for k in params if k not in SET_BY_QUADGAIT and k not in NOT_PLAIN_DATA})


def _is_plain(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_plain(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def _kind_from_default(default: Any) -> str:
    for kind, typ in (("bool", bool), ("int", int), ("float", float), ("str", str)):
        if isinstance(default, typ):
            return kind
    return "plain"


def _check(kind: str, key: str, value: Any) -> Any:
    """Validate ``value`` for ``key`` against ``kind``; return it normalised (ints → floats for float keys)."""
    def fail(expected: str) -> ValueError:
        hint = ""
        if isinstance(value, str) and kind in ("float", "positive", "unit", "positive_or_none"):
            hint = " (YAML reads numbers like 3e-4 as strings: write 3.0e-4)"
        return ValueError(f"{key}: expected {expected}, got {value!r}{hint}")

    is_int = isinstance(value, int) and not isinstance(value, bool)
    is_num = (is_int or isinstance(value, float)) and math.isfinite(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise fail("true or false")
        return value
    if kind in ("int", "count", "count0"):
        lo, hi = {"int": None, "count": 1, "count0": 0}[kind], MAX_VALUES.get(key)
        if not is_int or (lo is not None and value < lo) or (hi is not None and value > hi):
            raise fail("an integer" + (f" in [{lo}, {hi}]" if hi is not None else f" >= {lo}" if lo is not None
                                       else ""))
        return value
    if kind in ("float", "positive", "unit"):
        if not is_num or (kind == "positive" and value <= 0) or (kind == "unit" and not 0 <= value <= 1):
            raise fail({"float": "a number", "positive": "a number > 0", "unit": "a number in [0, 1]"}[kind])
        return float(value)
    if kind == "positive_or_none":
        return None if value is None else _check("positive", key, value)
    if kind == "str":
        if not isinstance(value, str):
            raise fail("a string")
        return value
    if kind == "float_or_auto":  # SAC's ent_coef / target_entropy: a number, "auto" or "auto_<initial value>"
        if isinstance(value, str):
            head, _, tail = value.partition("_")
            try:
                ok = head == "auto" and (not tail or float(tail) > 0)
            except ValueError:
                ok = False
            if not ok:
                raise fail("a number, 'auto' or 'auto_<initial value>'")
            return value
        return _check("float", key, value)
    if kind == "train_freq":  # an int (steps) or [int, "step" | "episode"]
        if is_int and value >= 1:
            return value
        if (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)
                and not isinstance(value[0], bool) and value[0] >= 1 and value[1] in ("step", "episode")):
            return list(value)
        raise fail("an integer >= 1 or [n, 'step' | 'episode']")
    if kind == "net_arch":
        def layers(v: Any) -> bool:
            return isinstance(v, list) and all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in v)
        if layers(value) or (isinstance(value, dict) and value and all(
                isinstance(k, str) and layers(v) for k, v in value.items())):
            return value
        raise fail("a list of layer sizes or a mapping like {pi: [128, 128], vf: [128, 128]}")
    if kind == "activation":
        if value not in ACTIVATIONS:
            raise fail(f"one of {', '.join(ACTIVATIONS)}")
        return value
    if kind == "mapping":
        if not isinstance(value, dict) or not _is_plain(value):
            raise fail("a mapping of plain data (names to numbers, strings, booleans, lists)")
        return dict(value)
    if not _is_plain(value):
        raise fail("plain data (numbers, strings, booleans, lists, mappings)")
    return value


def _check_keys(key_of: str, got: dict, valid: list[str], reserved: dict[str, str]) -> None:
    for key in got:
        if key in reserved:
            raise ValueError(f"{key_of}{key!r} cannot be set in a hyperparameter file: {reserved[key]}")
        if key not in valid:
            raise ValueError(f"unknown {key_of}{key!r}; valid keys: {', '.join(valid)}")


def _check_policy_kwargs(algo_cls: type, policy: str, kwargs: dict) -> dict:
    aliases = getattr(algo_cls, "policy_aliases", {})
    if policy not in aliases:
        raise ValueError(f"policy: unknown policy {policy!r} for {algo_cls.__name__}; valid: {', '.join(aliases)}")
    params = _init_parameters(aliases[policy], skip=("self", "observation_space", "action_space", "lr_schedule"))
    reserved = {k: "it takes a Python class, which is not plain data" for k in NOT_PLAIN_DATA}
    reserved["use_sde"] = "use the top-level use_sde key"
    valid = sorted(k for k in params if k not in reserved)
    _check_keys("policy_kwargs key ", kwargs, valid, reserved)
    return {k: _check(SB3_KINDS.get(k) or _kind_from_default(params[k].default), f"policy_kwargs.{k}", v)
            for k, v in kwargs.items()}


def validate_hyperparams(algo: str, entry: Any) -> dict[str, Any]:
    """Check one entry (a mapping) for ``algo``; return it with quadgait defaults filled in (plain data).

    Raises:
        ValueError: unknown algorithm, unknown key (the message lists the valid keys), wrong type or range (the
            message names the key).
    """
    algo_cls = algorithm_class(algo)
    if not isinstance(entry, dict):
        raise ValueError(f"a hyperparameter entry must be a mapping of names to values, got {type(entry).__name__}")
    params = _init_parameters(algo_cls)
    reserved = {k: f"it is set by {v}" for k, v in SET_BY_QUADGAIT.items()}
    reserved.update({k: "it takes a Python object, which is not plain data" for k in NOT_PLAIN_DATA})
    _check_keys("key ", entry, valid_keys(algo), reserved)
    out: dict[str, Any] = {}
    for key, (kind, default) in QUADGAIT_KEYS.items():
        out[key] = _check(kind, key, entry.get(key, default))
    out["policy_kwargs"] = _check_policy_kwargs(algo_cls, out["policy"], out["policy_kwargs"])
    for key, value in entry.items():
        if key in QUADGAIT_KEYS:
            continue
        kind = SB3_KINDS.get(key) or _kind_from_default(params[key].default)
        if key in ("ent_coef", "target_entropy") and isinstance(params[key].default, str):
            kind = "float_or_auto"
        out[key] = _check(kind, key, value)
    return out


def hyperparams_path(algo: str, path: str | Path | None = None) -> Path:
    """The YAML file to read: ``path``, or the packaged ``<algo>.yaml``."""
    algorithm_class(algo)
    return Path(path) if path is not None else HYPERPARAMS_DIR / f"{algo.strip().lower()}.yaml"


def load_hyperparams(algo: str, env_id: str, path: str | Path | None = None) -> dict[str, Any]:
    """The validated hyperparameters for ``algo`` on ``env_id`` from ``path`` (default: the packaged file).

    The entry named ``env_id`` is used as is; without one, the ``default`` entry. Missing quadgait keys get the
    values in :data:`QUADGAIT_KEYS`; missing SB3 arguments keep stable-baselines3's defaults.

    Raises:
        ValueError: unreadable file, no entry for ``env_id`` and no ``default``, or an invalid entry (see
            :func:`validate_hyperparams`).
    """
    file = hyperparams_path(algo, path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read hyperparameter file {str(file)!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"hyperparameter file {str(file)!r} is not UTF-8 text (byte {exc.start})") from None
    try:
        data = strict_yaml_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"hyperparameter file {str(file)!r} is not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict):
        raise ValueError(f"hyperparameter file {str(file)!r} must map env ids (or 'default') to settings")
    name = env_id if env_id in data else DEFAULT_ENTRY
    if name not in data:
        raise ValueError(f"hyperparameter file {str(file)!r} has no entry for {env_id!r} and no {DEFAULT_ENTRY!r} "
                         f"entry (it has: {', '.join(map(str, data))})")
    try:
        return validate_hyperparams(algo, data[name])
    except ValueError as exc:
        raise ValueError(f"hyperparameter file {str(file)!r} [{name}]: {exc}") from None


def algorithm_kwargs(hyperparams: dict[str, Any]) -> dict[str, Any]:
    """The SB3 constructor arguments in validated ``hyperparams`` (quadgait keys dropped, names made objects).

    ``policy_kwargs.activation_fn`` becomes the ``torch.nn`` class; ``train_freq`` lists become tuples.
    """
    import torch.nn as nn

    kwargs = {k: v for k, v in hyperparams.items() if k not in QUADGAIT_KEYS}
    policy_kwargs = dict(hyperparams.get("policy_kwargs", {}))
    if "activation_fn" in policy_kwargs:
        policy_kwargs["activation_fn"] = getattr(nn, ACTIVATIONS[policy_kwargs["activation_fn"]])
    kwargs["policy_kwargs"] = policy_kwargs
    if isinstance(kwargs.get("train_freq"), list):
        kwargs["train_freq"] = tuple(kwargs["train_freq"])
    return kwargs
