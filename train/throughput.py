"""Training throughput: make stable-baselines3's PPO spend less of the main process's time per env step.

With one env per process, the main process works while every env process waits for its action: the policy's forward
pass, the normaliser and the rollout buffer at each step, the PPO update between rollouts. Each millisecond there is
a millisecond of every core idle. What this module changes (none changes the algorithm):

* :func:`fast_rollout_forward` replaces the policy's ``forward`` (used only while collecting rollouts) by the same
  computation in NumPy, a fifth of the cost for a batch of a few observations; it draws the action noise from
  torch's generator exactly as SB3 does (``tests/train/test_throughput.py``).
* :func:`make_vec_env` starts env processes that import only the simulator (:mod:`train.env_worker`), not torch and
  stable-baselines3: each starts about 2.5 s of CPU sooner and uses about 190 MB less memory.
* :class:`Speedups` also moves evaluation into a worker process (:mod:`train.eval_worker`).

``benchmarks/train_throughput.py`` measures the effect.
"""

from __future__ import annotations

import math
import multiprocessing as mp
from typing import Any

import numpy as np
import torch
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnv

_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))


def fast_rollout_forward(policy: Any) -> bool:
    """Give ``policy`` a NumPy ``forward`` for collecting rollouts, where the policy is the plain case.

    The plain case: an SB3 ``ActorCriticPolicy`` (not a subclass that overrides ``forward``) on a ``Box``
    observation with the flatten features extractor, a diagonal Gaussian action distribution without
    state-dependent exploration or output squashing, and ``nn.Sequential`` actor and critic networks of ``Linear``
    layers and tanh/ReLU/ELU activations. Anything else keeps SB3's ``forward``.

    The NumPy forward computes what SB3's does (float32; values within float32 rounding of torch's, ~1e-6
    relative, because the matrix products run in NumPy's BLAS instead of torch's) and draws the action noise from
    torch's generator exactly as SB3 does (``Normal.rsample``), so a seed gives the same noise sequence as before.
    It reads the weights afresh whenever a parameter changed (torch's version counters), e.g. after every update.
    For a batch of a few observations it costs a fifth of the torch forward, whose time is per-operation overhead.

    Returns:
        True when the NumPy forward was installed.
    """
    from gymnasium import spaces
    from stable_baselines3.common.distributions import DiagGaussianDistribution
    from stable_baselines3.common.policies import ActorCriticPolicy
    from stable_baselines3.common.torch_layers import FlattenExtractor

    if not (isinstance(policy, ActorCriticPolicy) and type(policy).forward is ActorCriticPolicy.forward
            and isinstance(policy.observation_space, spaces.Box)
            and type(policy.action_dist) is DiagGaussianDistribution and not policy.use_sde
            and not policy.squash_output):
        return False
    extractors = ((policy.features_extractor,) if policy.share_features_extractor
                  else (policy.pi_features_extractor, policy.vf_features_extractor))
    nets = (policy.mlp_extractor.policy_net, policy.mlp_extractor.value_net)
    if not (all(type(e) is FlattenExtractor for e in extractors)
            and all(isinstance(n, torch.nn.Sequential) and all(type(m) in _LAYERS for m in n) for n in nets)):
        return False
    policy.forward = NumpyRolloutForward(policy)
    return True


def _elu(x: np.ndarray, alpha: float) -> np.ndarray:
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


_LAYERS = {torch.nn.Linear, torch.nn.Tanh, torch.nn.ReLU, torch.nn.ELU}


class NumpyRolloutForward:
    """``ActorCriticPolicy.forward`` in NumPy (see :func:`fast_rollout_forward`); returns torch tensors."""

    def __init__(self, policy: Any) -> None:
        self.policy = policy
        # SB3 updates and loads weights in place (optimizer steps, load_state_dict), which bumps the tensors'
        # version counters; the parameter objects themselves stay.
        self._params = tuple(policy.parameters())
        self._key: tuple = ()
        self._pi: list = []
        self._vf: list = []

    def _refresh(self) -> None:
        key = tuple([p._version for p in self._params])
        if key == self._key:
            return
        self._key = key

        def layers(net: torch.nn.Sequential) -> list:
            out = []
            for m in net:
                if isinstance(m, torch.nn.Linear):
                    out.append(("linear", m.weight.detach().numpy().T.copy(), m.bias.detach().numpy().copy()))
                else:
                    out.append((type(m).__name__, getattr(m, "alpha", None), None))
            return out

        p = self.policy
        self._pi = layers(p.mlp_extractor.policy_net) + layers(torch.nn.Sequential(p.action_net))
        self._vf = layers(p.mlp_extractor.value_net) + layers(torch.nn.Sequential(p.value_net))
        self._std = np.exp(p.log_std.detach().numpy())
        self._log_std_term = np.log(self._std) + _LOG_SQRT_2PI  # Normal.log_prob's two constant terms
        self._two_var = 2 * self._std**2

    @staticmethod
    def _run(layers: list, x: np.ndarray) -> np.ndarray:
        for kind, a, b in layers:
            if kind == "linear":
                x = x @ a + b
            elif kind == "Tanh":
                x = np.tanh(x)
            elif kind == "ReLU":
                x = np.maximum(x, 0)
            else:
                x = _elu(x, a)
        return x

    def __call__(self, obs: torch.Tensor, deterministic: bool = False):
        self._refresh()
        x = obs.detach().cpu().numpy().astype(np.float32, copy=False).reshape(obs.shape[0], -1)
        mean = self._run(self._pi, x)
        values = self._run(self._vf, x)
        if deterministic:
            actions = mean
        else:  # the noise of Normal.rsample: torch's generator, same draws in the same order
            eps = torch.empty(mean.shape, dtype=torch.float32).normal_().numpy()
            actions = mean + eps * self._std
        log_prob = (-((actions - mean) ** 2) / self._two_var - self._log_std_term).sum(axis=1)
        action_shape = self.policy.action_space.shape
        return (torch.from_numpy(actions.reshape((-1, *action_shape))), torch.from_numpy(values),
                torch.from_numpy(log_prob))


class Speedups:
    """What :func:`train.training.train` adds for throughput, in one object so that training.py changes by a few
    lines: the NumPy rollout forward (:func:`fast_rollout_forward`) and the evaluation in a worker process
    (:mod:`train.eval_worker`). Use :attr:`evaluator` in place of ``evaluator``, add :attr:`callbacks` after the
    evaluation's ``Periodic``, and :meth:`close` when training ends.
    """

    def __init__(self, model: Any, evaluator: Any, eval_env_id: str, eval_env_kwargs: dict,
                 eval_max_episode_steps: int) -> None:
        from train.eval_worker import make_evaluator

        self.fast_forward = fast_rollout_forward(model.policy)
        self.evaluator = make_evaluator(evaluator, eval_env_id, eval_env_kwargs, eval_max_episode_steps)
        self.callbacks: list[BaseCallback] = [self.evaluator.callback()] if self.evaluator is not evaluator else []

    def abandon_evaluation(self) -> None:
        """On Ctrl-C: training stops without waiting for an evaluation in flight (safe in a signal handler)."""
        if hasattr(self.evaluator, "abandon"):
            self.evaluator.abandon()

    def close(self) -> None:
        if hasattr(self.evaluator, "close"):
            self.evaluator.close()


class LightSubprocVecEnv(SubprocVecEnv):
    """stable-baselines3's ``SubprocVecEnv`` whose processes run :func:`train.env_worker._worker` (the same loop and
    protocol), so they never import torch or stable-baselines3."""

    def __init__(self, env_fns: list, start_method: str | None = None) -> None:  # SubprocVecEnv's, another target
        from train.env_worker import _Pickled, _worker

        self.waiting = False
        self.closed = False
        if start_method is None:
            start_method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        ctx = mp.get_context(start_method)
        self.remotes, self.work_remotes = zip(*[ctx.Pipe() for _ in env_fns], strict=True)
        self.processes = []
        for work_remote, remote, env_fn in zip(self.work_remotes, self.remotes, env_fns, strict=True):
            # daemon: a crashed main process does not leave env processes behind
            process = ctx.Process(target=_worker, args=(work_remote, remote, _Pickled(env_fn)), daemon=True)
            process.start()
            self.processes.append(process)
            work_remote.close()
        self.remotes[0].send(("get_spaces", None))
        observation_space, action_space = self.remotes[0].recv()
        VecEnv.__init__(self, len(env_fns), observation_space, action_space)


def make_vec_env(env_id: str, env_kwargs: dict, n_envs: int, max_episode_steps: int | None = None) -> VecEnv:
    """``n_envs`` training envs with episode statistics: in light processes (:class:`LightSubprocVecEnv`), or in this
    process for one env."""
    from train.env_worker import training_env_fns

    fns = training_env_fns(env_id, env_kwargs, n_envs, max_episode_steps)
    return DummyVecEnv(fns) if n_envs == 1 else LightSubprocVecEnv(fns)
