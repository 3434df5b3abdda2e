"""Evaluate a trained policy (a run folder, a model ``.zip`` or a checkpoint) the way ``quadgait walk`` reports."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from train.policy import PolicyLoadError, policy_env


def evaluate(path: str | os.PathLike, seconds: float = 20.0, seed: int = 0,
             video: str | os.PathLike | None = None, terrain: str | None = None) -> dict[str, Any]:
    """Roll the policy at ``path`` out deterministically for ``seconds`` (simulated s) and summarise it.

    The env id and env settings come from the run's ``config.yaml`` (default ``quadgait/LaikagoWalk-v0`` with
    default settings); the episode is capped at ``seconds`` and the command is the env's target speed along +x.

    Returns:
        The keys of ``quadgait walk --json``: ``distance_m`` (m), ``mean_speed_mps`` (mean body-frame forward speed,
        m/s), ``heading_drift_deg`` (deg), ``fell``, ``duration_s``, ``command``, ``robot``, ``seed``, ``gait`` (the
        controller's path) and ``metrics`` (:func:`envs.metrics.summarize`); plus ``controller``, ``env_id`` and
        ``video`` when one was written.

    Raises:
        PolicyLoadError: missing or corrupt policy, or spaces that do not match the env (the message says which).
    """
    import envs  # noqa: F401  (registers the env ids)
    from train.cli import walk_summary
    from train.controllers import make_controller
    from train.rollout import run_episode
    from train.video import FrameGrabber, check_video_path

    from train.controllers import resolve_policy

    path = Path(resolve_policy(str(path)))
    if not path.exists():
        raise PolicyLoadError(f"no run folder or model at {str(path)!r}")
    if not (np.isfinite(seconds) and seconds > 0):
        raise ValueError(f"seconds must be > 0, got {seconds}")
    if video is not None:
        check_video_path(video)
    env_id, env_kwargs = policy_env(path)
    if terrain is not None:
        env_kwargs = {**env_kwargs, "terrain": terrain}
    if env_id not in gym.registry:
        raise PolicyLoadError(f"the policy's env id {env_id!r} is not registered")
    grabber = FrameGrabber(every=2) if video is not None else None
    env = gym.make(env_id, render_mode="rgb_array" if video is not None else None,
                   **{**env_kwargs, "episode_seconds": float(seconds)})
    try:
        controller = make_controller(str(path.resolve()), env)  # a path, even if named like a gait preset
        settings = env.unwrapped.settings
        command = np.array([settings.target_speed_mps, 0.0, 0.0])
        rollout = run_episode(env, controller, command, seconds, seed=seed, on_step=grabber)
        robot, control_hz = settings.robot, settings.control_hz
    finally:
        env.close()
    summary = walk_summary(rollout, str(path), robot, command, seed)
    summary.update(controller=str(path), env_id=env_id)
    if grabber is not None:
        summary["video"] = str(grabber.write(video, grabber.fps(control_hz)))
    return summary
