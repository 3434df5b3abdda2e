"""Training-throughput machinery computes what SB3 and the in-process evaluator compute.

* the NumPy rollout forward (``train.throughput``): SB3's actions, values and log-probabilities to float32
  rounding, from the same draws of torch's generator, with weights followed through in-place updates;
* the evaluation worker (``train.eval_worker``): the same ``eval.csv`` numbers as the in-process evaluator.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

import envs  # noqa: F401
from train.callbacks import Evaluator, WallClock, read_eval_csv
from train.eval_worker import AsyncEvaluator
from train.throughput import NumpyRolloutForward, fast_rollout_forward

ENV_ID = "quadgait/LaikagoWalk-v0"


class _Box(gym.Env):
    observation_space = gym.spaces.Box(-np.inf, np.inf, (46,), np.float32)
    action_space = gym.spaces.Box(-1.0, 1.0, (12,), np.float32)

    def reset(self, *, seed=None, options=None):
        return np.zeros(46, np.float32), {}

    def step(self, action):
        return np.zeros(46, np.float32), 0.0, False, False, {}


def _ppo(**policy_kwargs):
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import DummyVecEnv

    kwargs = {"net_arch": {"pi": [32, 32], "vf": [16]}, "log_std_init": -1.0, **policy_kwargs}
    return PPO("MlpPolicy", DummyVecEnv([_Box, _Box, _Box]), policy_kwargs=kwargs, n_steps=8, batch_size=8,
               device="cpu", seed=0)


@pytest.mark.parametrize("activation", [torch.nn.Tanh, torch.nn.ReLU, torch.nn.ELU])
def test_numpy_forward_matches_sb3(activation):
    policy = _ppo(activation_fn=activation).policy
    obs = torch.as_tensor(np.random.default_rng(0).normal(0.0, 3.0, (3, 46)).astype(np.float32))
    torch.manual_seed(5)
    with torch.no_grad():
        expected = [policy(obs), policy(obs, deterministic=True)]
    assert fast_rollout_forward(policy)
    assert isinstance(policy.forward, NumpyRolloutForward)
    torch.manual_seed(5)
    with torch.no_grad():
        got = [policy(obs), policy(obs, deterministic=True)]
    for want, have in zip(expected, got, strict=True):
        for a, b in zip(want, have, strict=True):
            assert a.shape == b.shape and a.dtype == b.dtype
            np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-5, atol=1e-5)
    # The generator advanced exactly as SB3's sampling advances it.
    torch.manual_seed(5)
    with torch.no_grad():
        policy(obs)
    after_numpy = torch.rand(1)
    del policy.forward
    torch.manual_seed(5)
    with torch.no_grad():
        policy(obs)
    assert torch.equal(after_numpy, torch.rand(1))


def test_numpy_forward_follows_weight_updates():
    policy = _ppo().policy
    fast_rollout_forward(policy)
    obs = torch.ones((2, 46))
    before = policy(obs, deterministic=True)[0]
    with torch.no_grad():
        for p in policy.parameters():
            p.add_(0.05)  # as an optimizer step does: in place
    after = policy(obs, deterministic=True)[0]
    fast = policy.forward
    del policy.forward
    with torch.no_grad():
        reference = policy(obs, deterministic=True)[0]
    assert not torch.allclose(before, after)
    np.testing.assert_allclose(after.numpy(), reference.numpy(), rtol=1e-5, atol=1e-5)
    assert isinstance(fast, NumpyRolloutForward)


def test_other_policies_keep_sb3_forward():
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import DummyVecEnv

    sde = PPO("MlpPolicy", DummyVecEnv([_Box]), use_sde=True, n_steps=8, batch_size=8, device="cpu").policy
    assert not fast_rollout_forward(sde)
    assert "forward" not in vars(sde)


def test_worker_evaluation_writes_the_in_process_rows(tmp_path):
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

    venv = VecNormalize(DummyVecEnv([lambda: gym.make(ENV_ID, max_episode_steps=20)]))
    model = PPO("MlpPolicy", venv, policy_kwargs={"net_arch": [16]}, n_steps=32, batch_size=32, device="cpu",
                seed=0)
    model.learn(64)  # move the weights and the normaliser away from their initial values
    env_kwargs = {"target_speed_mps": 0.4}
    rows = {}
    for name in ("in_process", "worker"):
        env = gym.make(ENV_ID, max_episode_steps=20, **env_kwargs)
        evaluator = Evaluator(env, tmp_path / f"{name}.csv", 0.4, 2, 3, WallClock())
        evaluator.model, evaluator.vec_normalize = model, venv
        if name == "in_process":
            evaluator(64)
        else:
            worker = AsyncEvaluator(evaluator, ENV_ID, env_kwargs, 20)
            try:
                worker(64)
                worker.wait()
            finally:
                worker.close()
        env.close()
        rows[name] = read_eval_csv(tmp_path / f"{name}.csv")
    assert len(rows["worker"]) == 1
    for a, b in zip(rows["in_process"], rows["worker"], strict=True):
        assert {k: v for k, v in a.items() if k != "wall_clock_s"} == {k: v for k, v in b.items()
                                                                       if k != "wall_clock_s"}


def _sb3_monitored_env(env_id, env_kwargs, max_episode_steps):
    from stable_baselines3.common.monitor import Monitor

    return Monitor(gym.make(env_id, max_episode_steps=max_episode_steps, **env_kwargs))


def test_light_env_processes_step_like_sb3s_and_skip_torch():
    """LightSubprocVecEnv + EpisodeStats against SubprocVecEnv + Monitor: the same steps, resets and episode info."""
    import functools
    import sys
    from pathlib import Path

    from stable_baselines3.common.vec_env import SubprocVecEnv

    from train.env_worker import make_training_env
    from train.throughput import LightSubprocVecEnv

    results = []
    for cls, factory in ((LightSubprocVecEnv, make_training_env), (SubprocVecEnv, _sb3_monitored_env)):
        venv = cls([functools.partial(factory, ENV_ID, {"target_speed_mps": 0.4}, 30)] * 2)
        try:
            if cls is LightSubprocVecEnv and sys.platform.startswith("linux"):
                for process in venv.processes:
                    maps = Path(f"/proc/{process.pid}/maps").read_text()
                    assert "libtorch" not in maps, "a light env process loaded torch"
            venv.seed(4)
            steps = [venv.reset()]
            actions = np.random.default_rng(0).uniform(-1.0, 1.0, (35, 2, 12)).astype(np.float32)
            for a in actions:  # past the 30-step time limit: the automatic reset and terminal observation
                steps.append(venv.step(a))
            results.append(steps)
        finally:
            venv.close()
    light, sb3 = results
    np.testing.assert_array_equal(light[0], sb3[0])
    for (obs, rew, done, infos), (obs2, rew2, done2, infos2) in zip(light[1:], sb3[1:], strict=True):
        np.testing.assert_array_equal(obs, obs2)
        np.testing.assert_array_equal(rew, rew2)
        np.testing.assert_array_equal(done, done2)
        for a, b in zip(infos, infos2, strict=True):
            assert a.keys() == b.keys()
            if "episode" in a:
                assert (a["episode"]["r"], a["episode"]["l"]) == (b["episode"]["r"], b["episode"]["l"])
    assert any(d.any() for _, _, d, _ in light[1:])


def test_an_abandoned_evaluation_is_not_waited_for():
    """On Ctrl-C training abandons the evaluation in flight: wait() returns at once and records no row."""
    import multiprocessing as mp
    import time
    from types import SimpleNamespace

    recorded = []
    inner = SimpleNamespace(seconds=1.0, episodes=1, seed=0, options={}, record=lambda *a: recorded.append(a))
    evaluator = AsyncEvaluator(inner, "quadgait/LaikagoWalk-v0", {}, 50)
    evaluator._conn, other_end = mp.Pipe()  # nothing will ever arrive: a wait would block forever
    evaluator._pending = (128, 0.0)
    evaluator.abandon()
    start = time.perf_counter()
    evaluator.wait()
    assert time.perf_counter() - start < 1.0 and recorded == []
    evaluator._conn.close()
    other_end.close()
