"""Shared check of a shipped steerable policy's ONNX export (tests/train/test_steer_*policy.py)."""

from __future__ import annotations

import numpy as np


def assert_onnx_matches_stable_baselines3(policy: str, env_id: str, command=(0.4, 0.1, -0.3)) -> None:
    """The graph takes the observation without its command, and the command, as two inputs; on observations of a
    real episode driven by the policy under ``command`` it gives stable-baselines3's actions to 1e-5."""
    import gymnasium as gym
    import onnxruntime as ort

    from envs.policies import pretrained_path
    from envs.policies.loading import load_policy
    from train.export import split_command

    loaded = load_policy(pretrained_path(policy))
    session = ort.InferenceSession(str(pretrained_path(policy) / "policy.onnx"), providers=["CPUExecutionProvider"])
    env = gym.make(env_id)
    try:
        size = env.observation_space.shape[0]
        assert [(i.name, i.shape[1]) for i in session.get_inputs()] == [("observation", size - 3), ("command", 3)]
        command_slice = env.unwrapped.observation_layout["command"]
        obs, _ = env.reset(seed=3, options={"command": command})
        observations = [obs]
        for _ in range(50):
            action, _ = loaded.model.predict(loaded.normalizer(obs[None]).astype(np.float32), deterministic=True)
            obs, *_ = env.step(action[0])
            observations.append(obs)
    finally:
        env.close()
    observations = np.array(observations, dtype=np.float32)
    inputs = split_command(observations, command_slice)
    np.testing.assert_allclose(inputs["command"], np.tile(command, (len(observations), 1)), atol=1e-6)
    got = session.run(["action"], inputs)[0]
    want, _ = loaded.model.predict(loaded.normalizer(observations).astype(np.float32), deterministic=True)
    assert np.max(np.abs(got - want)) < 1e-5
