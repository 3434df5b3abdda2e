"""Evaluation during training in a separate process, so the env processes do not wait for it.

:class:`AsyncEvaluator` takes the place of :class:`~train.callbacks.Evaluator` in :func:`train.training.train`: at
each evaluation it snapshots the policy's weights and the normaliser's observation statistics (the training step
and the training clock at that moment) and hands them to a worker process, which runs the same episodes
(:meth:`Evaluator.measure <train.callbacks.Evaluator.measure>`, the same env settings and seeds) with a copy of the
policy. The main process records each result (``eval.csv`` row, TensorBoard, progress bar) when it arrives: at the
next rollout start, and at the end of training, which waits for the last one. The rows are those the in-process
evaluator writes, the same numbers at the same steps; only ``wall_clock_s`` is the time the evaluation was asked for
rather than the time it finished.

At most one evaluation is in flight: asking for another while one runs waits for the first, so results cannot pile
up. The worker runs at a lower priority (``nice`` +5 relative to training) so that, on a machine whose cores the
training fills, it takes the cycles the env processes leave idle (while the main process computes actions or
updates the policy) rather than theirs.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import traceback
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from train.callbacks import Evaluator

#: How much lower the worker's priority is than the training process's (os.nice increment).
WORKER_NICENESS = 5


class AsyncEvaluator:
    """Evaluator-compatible action for :class:`~train.callbacks.Periodic`; see the module docstring.

    Args:
        evaluator: the in-process evaluator whose settings (episodes, seconds, seed, options), clock, rows and
            outputs (``model``, ``vec_normalize``, ``progress`` are read when an evaluation is asked for) it uses.
        env_id, env_kwargs, max_episode_steps: how to make the evaluation env in the worker (as ``evaluator.env``).
    """

    def __init__(self, evaluator: Evaluator, env_id: str, env_kwargs: dict, max_episode_steps: int) -> None:
        self.evaluator = evaluator
        self._spec = (env_id, dict(env_kwargs), int(max_episode_steps), float(evaluator.seconds),
                      int(evaluator.episodes), int(evaluator.seed), dict(evaluator.options))
        self._conn = None
        self._process = None
        self._pending: tuple[int, float] | None = None
        self._abandoned = False

    # ------------------------------------------------------------------ Periodic's action
    def __call__(self, step: int) -> None:
        self.wait()
        ev = self.evaluator
        if self._process is None:
            self._start(ev.model.policy)
        policy = ev.model.policy
        weights = {k: v.detach().cpu().numpy().copy() for k, v in policy.state_dict().items()}
        norm = None
        if ev.vec_normalize is not None and ev.vec_normalize.norm_obs:
            rms = ev.vec_normalize.obs_rms
            norm = (np.array(rms.mean, copy=True), np.array(rms.var, copy=True), float(ev.vec_normalize.clip_obs),
                    float(ev.vec_normalize.epsilon))
        self._conn.send((weights, norm))
        self._pending = (int(step), ev.clock.elapsed_s())

    def poll(self) -> None:
        """Record a finished evaluation, if there is one (does not wait)."""
        if self._pending is not None and self._conn.poll():
            self._receive()

    def abandon(self) -> None:
        """Stop waiting for evaluations: :meth:`wait` returns at once from now on (on Ctrl-C; no row is recorded)."""
        self._abandoned = True

    def wait(self) -> None:
        """Record the evaluation in flight, waiting for it (unless :meth:`abandon` was called)."""
        if self._pending is not None and not self._abandoned:
            self._receive()

    def close(self) -> None:
        """Stop the worker (an evaluation in flight is dropped; call :meth:`wait` first to keep it)."""
        if self._process is not None:
            try:
                self._conn.send(None)
            except (BrokenPipeError, OSError):
                pass
            self._process.join(timeout=0 if self._abandoned and self._pending is not None else 10)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
            self._conn.close()
            self._process = self._conn = None
        self._pending = None

    def callback(self) -> BaseCallback:
        """The callback that records results as they arrive; put it after the evaluation's ``Periodic``."""
        return _RecordResults(self)

    # ------------------------------------------------------------------ internals
    def _start(self, policy) -> None:
        ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
        self._conn, child = ctx.Pipe()
        blueprint = (type(policy), policy._get_constructor_parameters())
        self._process = ctx.Process(target=_serve, args=(child, self._spec, blueprint), daemon=True,
                                    name="quadgait-eval")
        self._process.start()
        child.close()

    def _receive(self) -> None:
        step, wall_clock_s = self._pending
        self._pending = None
        try:
            status, payload = self._conn.recv()
        except EOFError:
            raise RuntimeError("the evaluation worker died") from None
        if status != "ok":
            raise RuntimeError(f"evaluation at step {step} failed in the worker:\n{payload}")
        self.evaluator.record(step, payload, wall_clock_s)


class _RecordResults(BaseCallback):
    def __init__(self, evaluator: AsyncEvaluator) -> None:
        super().__init__()
        self.async_evaluator = evaluator

    def _on_rollout_start(self) -> None:
        self.async_evaluator.poll()

    def _on_step(self) -> bool:
        return True

    def _on_training_end(self) -> None:
        self.async_evaluator.wait()


def _serve(conn, spec: tuple, blueprint: tuple) -> None:
    """The worker: build the env and a policy once, then evaluate each (weights, normaliser) it is sent."""
    import gymnasium as gym
    import torch

    import envs  # noqa: F401  (registers the ids)
    from train.callbacks import PolicyUnderTraining

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the training process's; it closes this worker
    try:
        os.nice(WORKER_NICENESS)
    except OSError:
        pass
    torch.set_num_threads(1)
    env_id, env_kwargs, max_steps, seconds, episodes, seed, options = spec
    policy_class, policy_params = blueprint
    env = gym.make(env_id, max_episode_steps=max_steps, **env_kwargs)
    evaluator = Evaluator(env, None, seconds, episodes, seed, None, options=options)
    policy = policy_class(**policy_params)
    policy.set_training_mode(False)
    try:
        while True:
            try:
                job = conn.recv()
            except EOFError:
                return
            if job is None:
                return
            weights, norm = job
            try:
                policy.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
                controller = PolicyUnderTraining(policy, None if norm is None else _Normalizer(*norm))
                reply = ("ok", evaluator.measure(controller))
            except Exception:  # noqa: BLE001 - reported to the main process, which raises
                reply = ("error", traceback.format_exc())
            try:
                conn.send(reply)
            except (BrokenPipeError, ConnectionResetError):
                return  # the training process is gone (killed): nobody is waiting for this evaluation
    finally:
        env.close()


class _Normalizer:
    """VecNormalize.normalize_obs with frozen statistics (the same arithmetic)."""

    def __init__(self, mean: np.ndarray, var: np.ndarray, clip_obs: float, epsilon: float) -> None:
        self.mean, self.var, self.clip_obs, self.epsilon = mean, var, clip_obs, epsilon

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        return np.clip((obs - self.mean) / np.sqrt(self.var + self.epsilon), -self.clip_obs,
                       self.clip_obs).astype(np.float32)


def usable_cores() -> int:
    """CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def make_evaluator(evaluator: Evaluator, env_id: str, env_kwargs: dict, max_episode_steps: int) -> Any:
    """The evaluator training should use: :class:`AsyncEvaluator` when the machine has a core to spare for it
    beyond the env processes' or they leave idle time (more than one core), else ``evaluator`` itself."""
    if usable_cores() < 2:
        return evaluator
    return AsyncEvaluator(evaluator, env_id, env_kwargs, max_episode_steps)
