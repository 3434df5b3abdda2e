"""Env processes for training that import the simulator only, not torch or stable-baselines3.

stable-baselines3's ``SubprocVecEnv`` runs its worker function from its own package, so every env process imports
stable-baselines3 and with it torch: about 2.5 s of CPU and 190 MB of memory per process before its env exists
(``benchmarks/train_throughput.py`` times the start-up). :class:`train.throughput.LightSubprocVecEnv` is that
vector env with the same worker loop and protocol (this module's :func:`_worker`, for the pinned stable-baselines3
2.9), and :func:`make_training_env` is the training env with :class:`EpisodeStats` in place of stable-baselines3's
``Monitor`` (the same ``info["episode"]`` at the end of each episode, which is what training reads).

This module imports only NumPy, Gymnasium, cloudpickle and the simulator; keep it that way.
"""

from __future__ import annotations

import functools
import signal
import time
from collections.abc import Callable
from typing import Any

import cloudpickle
import gymnasium as gym


class EpisodeStats(gym.Wrapper):
    """stable-baselines3's ``Monitor`` as training uses it: at the end of an episode ``info["episode"]`` holds
    ``r`` (return, rounded to 6 decimals), ``l`` (length, steps) and ``t`` (seconds since the wrapper was made)."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.t_start = time.time()
        self.rewards: list[float] = []
        self.needs_reset = True

    def reset(self, **kwargs):
        self.rewards = []
        self.needs_reset = False
        return self.env.reset(**kwargs)

    def step(self, action):
        if self.needs_reset:
            raise RuntimeError("Tried to step environment that needs reset")
        observation, reward, terminated, truncated, info = self.env.step(action)
        self.rewards.append(float(reward))
        if terminated or truncated:
            self.needs_reset = True
            info["episode"] = {"r": round(sum(self.rewards), 6), "l": len(self.rewards),
                               "t": round(time.time() - self.t_start, 6)}
        return observation, reward, terminated, truncated, info


def make_training_env(env_id: str, env_kwargs: dict[str, Any], max_episode_steps: int | None = None) -> gym.Env:
    """One training env with episode statistics (module level so that env processes can unpickle it)."""
    import envs  # noqa: F401  (registers the ids)

    return EpisodeStats(gym.make(env_id, max_episode_steps=max_episode_steps, **env_kwargs))


def training_env_fns(env_id: str, env_kwargs: dict[str, Any], n_envs: int,
                     max_episode_steps: int | None = None) -> list[Callable[[], gym.Env]]:
    return [functools.partial(make_training_env, env_id, dict(env_kwargs), max_episode_steps) for _ in range(n_envs)]


class _Pickled:
    """cloudpickle for the env factory (multiprocessing's pickle cannot send lambdas)."""

    def __init__(self, var: Any) -> None:
        self.var = var

    def __getstate__(self) -> bytes:
        return cloudpickle.dumps(self.var)

    def __setstate__(self, state: bytes) -> None:
        self.var = cloudpickle.loads(state)


def _is_wrapped(env: gym.Env, wrapper_class: type) -> bool:
    while isinstance(env, gym.Wrapper):
        if isinstance(env, wrapper_class):
            return True
        env = env.env
    return False


def _worker(remote, parent_remote, env_fn: _Pickled) -> None:  # noqa: C901 - one branch per command
    """stable-baselines3 2.9's ``subproc_vec_env._worker``, command for command."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the training process's: it saves, then closes us
    parent_remote.close()
    env = env_fn.var()
    reset_info: dict[str, Any] | None = {}
    while True:
        try:
            cmd, data = remote.recv()
            if cmd == "step":
                observation, reward, terminated, truncated, info = env.step(data)
                done = terminated or truncated
                info["TimeLimit.truncated"] = truncated and not terminated
                if done:
                    info["terminal_observation"] = observation
                    observation, reset_info = env.reset()
                remote.send((observation, reward, done, info, reset_info))
            elif cmd == "reset":
                maybe_options = {"options": data[1]} if data[1] else {}
                observation, reset_info = env.reset(seed=data[0], **maybe_options)
                remote.send((observation, reset_info))
            elif cmd == "render":
                remote.send(env.render())
            elif cmd == "close":
                env.close()
                remote.close()
                break
            elif cmd == "get_spaces":
                remote.send((env.observation_space, env.action_space))
            elif cmd == "env_method":
                method = env.get_wrapper_attr(data[0])
                remote.send(method(*data[1], **data[2]))
            elif cmd == "get_attr":
                remote.send(env.get_wrapper_attr(data))
            elif cmd == "has_attr":
                try:
                    env.get_wrapper_attr(data)
                    remote.send(True)
                except AttributeError:
                    remote.send(False)
            elif cmd == "set_attr":
                remote.send(setattr(env, data[0], data[1]))
            elif cmd == "is_wrapped":
                remote.send(_is_wrapped(env, data))
            else:
                raise NotImplementedError(f"`{cmd}` is not implemented in the worker")
        except (EOFError, KeyboardInterrupt):
            break
