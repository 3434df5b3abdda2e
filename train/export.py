"""Export a trained policy to ONNX: raw observation in, deterministic action out, normalisation folded in.

The graph computes, for a float32 input ``observation`` of shape [batch, obs_dim]:

1. VecNormalize's transform ``clip((obs - mean) / sqrt(var + eps), ±clip_obs)`` (when the run normalised);
2. the policy's deterministic action: the Gaussian mean (PPO/A2C), or ``tanh`` of it (SAC; PPO with
   ``squash_output``), mapped to the action bounds;
3. for unsquashed policies, a clip to the action space, as stable-baselines3's ``predict`` does for Box actions.

Output ``action``: float32 [batch, act_dim]. For policies whose task takes commands (the observation has a
``command`` entry: velocity, gait and steer envs) the command is a separate input: ``observation`` is then the
observation without its command entries [batch, obs_dim - 3] and ``command`` is (vx m/s, vy m/s, yaw rate rad/s)
[batch, 3]; the graph puts the command back in its place. The graph's metadata (``observation_layout``) names every
slice of the ``observation`` input. Each export is checked with onnxruntime against stable-baselines3's
``model.predict(normalized_obs, deterministic=True)`` on random observations, and only written when they agree.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np

from envs.policies.loading import ObservationNormalizer, PolicyLoadError, load_policy
from train.atomic import atomic_path
from train.paths import check_output_file

#: Largest |onnxruntime − stable-baselines3| accepted in the export check.
TOLERANCE = 1e-5


def _policy_module(model, normalizer: ObservationNormalizer | None, command_slice: slice | None = None):
    """A torch module: raw observation (and, with ``command_slice``, the command separately) → deterministic,
    bounded action."""
    import torch
    from gymnasium import spaces
    from stable_baselines3.common.policies import ActorCriticPolicy

    policy = model.policy
    if not isinstance(model.action_space, spaces.Box) or not isinstance(model.observation_space, spaces.Box):
        raise PolicyLoadError("ONNX export supports Box observation and action spaces only")
    obs_dim = int(np.prod(model.observation_space.shape))

    class Deterministic(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.policy = policy
            # float64, as VecNormalize computes it, so the normalised observation matches it to the last bit
            mean = normalizer.mean if normalizer is not None else np.zeros(obs_dim)
            std = np.sqrt(normalizer.var + normalizer.epsilon) if normalizer is not None else np.ones(obs_dim)
            self.register_buffer("obs_mean", torch.as_tensor(mean, dtype=torch.float64))
            self.register_buffer("obs_std", torch.as_tensor(std, dtype=torch.float64))
            self.clip_obs = float(normalizer.clip) if normalizer is not None else None
            self.register_buffer("low", torch.as_tensor(model.action_space.low, dtype=torch.float32))
            self.register_buffer("high", torch.as_tensor(model.action_space.high, dtype=torch.float32))

        def forward(self, observation: torch.Tensor, command: torch.Tensor | None = None) -> torch.Tensor:
            x = observation
            if command_slice is not None:
                start = command_slice.start
                x = torch.cat([observation[:, :start], command, observation[:, start:]], dim=1)
            if self.clip_obs is not None:
                x = torch.clamp((x.double() - self.obs_mean) / self.obs_std, -self.clip_obs, self.clip_obs).float()
            if isinstance(self.policy, ActorCriticPolicy):  # PPO, A2C
                features = self.policy.extract_features(x, self.policy.pi_features_extractor)
                action = self.policy.action_net(self.policy.mlp_extractor.forward_actor(features))
                squash = self.policy.squash_output
            elif hasattr(self.policy, "actor") and hasattr(self.policy.actor, "get_action_dist_params"):  # SAC
                action, squash = self.policy.actor.get_action_dist_params(x)[0], True
            else:
                raise PolicyLoadError(f"ONNX export does not support {type(self.policy).__name__}")
            if squash:
                return self.low + 0.5 * (torch.tanh(action) + 1.0) * (self.high - self.low)
            return torch.maximum(torch.minimum(action, self.high), self.low)

    return Deterministic().eval()


def _check_observations(model, normalizer: ObservationNormalizer | None, n: int, seed: int) -> np.ndarray:
    """Random raw observations around the training distribution, plus a few far outside it (to hit the clips)."""
    rng = np.random.default_rng(seed)
    dim = int(np.prod(model.observation_space.shape))
    mean = normalizer.mean if normalizer is not None else np.zeros(dim)
    std = np.sqrt(normalizer.var + normalizer.epsilon) if normalizer is not None else np.ones(dim)
    obs = mean + rng.normal(size=(n, dim)) * std * 2.0
    obs[: max(1, n // 8)] = mean + rng.normal(size=(max(1, n // 8), dim)) * std * 20.0
    low, high = model.observation_space.low, model.observation_space.high
    return np.clip(obs, low, high).astype(np.float32)


def split_command(observations: np.ndarray, command_slice: slice | None) -> dict[str, np.ndarray]:
    """The ONNX inputs for full observations: ``observation`` (without the command entries) and ``command``."""
    if command_slice is None:
        return {"observation": observations}
    keep = np.ones(observations.shape[1], dtype=bool)
    keep[command_slice] = False
    return {"observation": np.ascontiguousarray(observations[:, keep]),
            "command": np.ascontiguousarray(observations[:, command_slice])}


def max_deviation(onnx_path: str | os.PathLike, model, normalizer: ObservationNormalizer | None,
                  observations: np.ndarray, command_slice: slice | None = None) -> float:
    """max |onnxruntime(onnx_path)(obs) − model.predict(normalize(obs), deterministic=True)| over the batch."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run(["action"], split_command(observations, command_slice))[0]
    normalized = normalizer(observations).astype(np.float32) if normalizer is not None else observations
    want, _ = model.predict(normalized, deterministic=True)
    return float(np.max(np.abs(got - want)))


def export_onnx(run_dir: str | os.PathLike, path: str | os.PathLike, n_check: int = 256,
                seed: int = 0, trust_pickle: bool = False) -> dict[str, Any]:
    """Export the deterministic policy of ``run_dir`` (a run folder, model .zip or checkpoint) to ``path``.

    ``path`` is checked (suffix, folder created and writable) before anything is loaded. The policy is loaded with
    :func:`envs.policies.loading.load_policy` (its normaliser is required when it was trained with one, and must
    fit its observation; ``trust_pickle`` lets legacy pickled files load).

    Returns:
        ``path``, ``obs_dim``, ``act_dim``, ``normalized`` (whether normalisation is folded in), ``checked`` (the
        number of random observations compared) and ``max_abs_error`` (largest action difference to SB3).

    Raises:
        OutputPathError: ``path`` does not end in .onnx, is a folder, or cannot be written.
        PolicyLoadError: missing or corrupt run folder / model / normaliser, or an unsupported policy.
        RuntimeError: the exported graph disagrees with stable-baselines3 by more than :data:`TOLERANCE`
            (nothing is written).
    """
    import torch

    path = check_output_file(path, "ONNX file", (".onnx",))
    loaded = load_policy(run_dir, trust_pickle)
    model, normalizer = loaded.model, loaded.normalizer
    layout = observation_layout(loaded.source.env_id, loaded.source.env_kwargs)
    command_slice = layout.get("command")
    module = _policy_module(model, normalizer, command_slice)
    obs_dim = int(np.prod(model.observation_space.shape))
    act_dim = int(np.prod(model.action_space.shape))
    observations = _check_observations(model, normalizer, n_check, seed)
    if command_slice is None:
        inputs, names, axes = (torch.zeros(1, obs_dim),), ["observation"], {"observation": {0: "batch"}}
    else:
        width = command_slice.stop - command_slice.start
        inputs = (torch.zeros(1, obs_dim - width), torch.zeros(1, width))
        names, axes = ["observation", "command"], {"observation": {0: "batch"}, "command": {0: "batch"}}
    with atomic_path(path) as tmp:
        with warnings.catch_warnings(), torch.no_grad():
            # The torch.export-based exporter needs onnxscript, which quadgait does not install; the TorchScript
            # exporter handles these plain MLPs exactly, so its deprecation notices (raised from torch.onnx's own
            # modules) are silenced here only.
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.onnx")
            warnings.filterwarnings("ignore", message="You are using the legacy TorchScript-based ONNX export",
                                    category=DeprecationWarning)
            torch.onnx.export(module, inputs, str(tmp), dynamo=False, input_names=names, output_names=["action"],
                              opset_version=17, dynamic_axes={**axes, "action": {0: "batch"}})
        _add_metadata(tmp, loaded.source.env_id, layout, command_slice)
        error = max_deviation(tmp, model, normalizer, observations, command_slice)
        if not error <= TOLERANCE:
            raise RuntimeError(f"the exported ONNX policy differs from stable-baselines3 by {error:.3g} "
                               f"(tolerance {TOLERANCE}); nothing was written")
    return {"path": str(path), "obs_dim": obs_dim, "act_dim": act_dim, "normalized": normalizer is not None,
            "command_input": command_slice is not None, "checked": len(observations), "max_abs_error": error}


def observation_layout(env_id: str, env_kwargs: dict[str, Any]) -> dict[str, slice]:
    """The env's ``observation_layout`` (names → slices of the observation)."""
    import gymnasium as gym

    import envs  # noqa: F401,I001  (registers the ids)

    env = gym.make(env_id, **env_kwargs)
    try:
        return dict(env.unwrapped.observation_layout)
    finally:
        env.close()


def _add_metadata(path: os.PathLike, env_id: str, layout: dict[str, slice], command_slice: slice | None) -> None:
    """Write the env id and the ``observation`` input's layout (JSON: name → [start, stop]) into the graph."""
    import json

    import onnx

    width = 0 if command_slice is None else command_slice.stop - command_slice.start
    entries = {}
    for name, sl in layout.items():
        if name == "command" and command_slice is not None:
            continue
        shift = width if command_slice is not None and sl.start >= command_slice.stop else 0
        entries[name] = [sl.start - shift, sl.stop - shift]
    graph = onnx.load(str(path))
    for key, value in (("quadgait_env_id", env_id), ("observation_layout", json.dumps(entries)),
                       ("command_input", "vx_mps, vy_mps, yaw_rate_radps" if command_slice is not None else "")):
        prop = graph.metadata_props.add()
        prop.key, prop.value = key, value
    onnx.save(graph, str(path))
