"""Evaluate a trained policy (a run folder, a model ``.zip``, a checkpoint or a shipped name) like ``quadgait walk``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np


def evaluate(path: str | os.PathLike, seconds: float = 20.0, seed: int = 0,
             video: str | os.PathLike | None = None, terrain: str | None = None,
             command: Any = None, trust_pickle: bool = False) -> dict[str, Any]:
    """Roll the policy at ``path`` out deterministically for ``seconds`` (simulated s) in the env it was trained
    in, and summarise it (:func:`envs.rollout.summarize_episode`).

    The command is the env task's own (the walk task's target speed, or a command task's seeded draws) unless
    ``command`` (vx, vy, yaw rate) asks the task to hold one; the summary says whether that command lies in the
    policy's training range (``command_in_training_range``). ``trust_pickle`` lets legacy pickled files load (see
    :mod:`envs.policies.loading`). With ``video``, frames are streamed into that file (checked before anything runs).

    Raises:
        PolicyLoadError: missing or corrupt policy, or spaces that do not match the env (the message says which).
    """
    import envs  # noqa: F401  (registers the env ids)
    from envs.controllers import resolve_controller, resolve_policy
    from envs.policies.loading import PolicyLoadError
    from envs.rollout import run_controller
    from train.video import VideoWriter, check_video_path

    resolved = Path(resolve_policy(str(path)))
    if not resolved.exists():
        raise PolicyLoadError(f"no run folder or model at {str(resolved)!r}")
    if not (np.isfinite(seconds) and seconds > 0):
        raise ValueError(f"seconds must be > 0, got {seconds}")
    if video is not None:
        check_video_path(video)
    # a path, even if named like a gait preset
    spec = resolve_controller(str(resolved.resolve()), trust_pickle=trust_pickle)
    settings = {"terrain": terrain} if terrain is not None else None
    if video is None:
        episode = run_controller(spec, seconds=seconds, seed=seed, command=command, settings=settings)
        return dict(episode.summary, controller=str(path), command_range=spec.describe_range())
    with VideoWriter(video) as writer:
        episode = run_controller(spec, seconds=seconds, seed=seed, command=command, settings=settings,
                                 render_mode="rgb_array", on_step=writer)
        written = writer.finish()
    return dict(episode.summary, controller=str(path), command_range=spec.describe_range(), video=str(written))
