"""Follow-camera videos of rollouts (imageio + the ffmpeg binary shipped in imageio-ffmpeg)."""

from __future__ import annotations

import os
from pathlib import Path

import gymnasium as gym
import numpy as np

from train.atomic import atomic_path

VIDEO_SUFFIXES = (".mp4", ".gif")


def check_video_path(path: str | os.PathLike) -> Path:
    """Validate a video output path before any simulation runs."""
    path = Path(path)
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise ValueError(f"video file {str(path)!r} must end in one of {', '.join(VIDEO_SUFFIXES)}")
    if path.exists() and path.is_dir():
        raise ValueError(f"video path {str(path)!r} is a directory")
    return path


class FrameGrabber:
    """Collects ``env.render()`` frames every ``every`` control steps (use as ``run_episode``'s ``on_step``)."""

    def __init__(self, every: int = 2) -> None:
        self.every = max(1, int(every))
        self.frames: list[np.ndarray] = []

    def __call__(self, env: gym.Env, step: int) -> None:
        if step % self.every == 0:
            self.frames.append(env.render())

    def fps(self, control_hz: float) -> float:
        return control_hz / self.every

    def write(self, path: str | os.PathLike, fps: float) -> Path:
        """Write the frames to ``path`` (.mp4 or .gif) atomically."""
        import imageio.v2 as imageio

        path = check_video_path(path)
        if not self.frames:
            raise ValueError("no frames were captured")
        with atomic_path(path) as tmp:
            if path.suffix.lower() == ".gif":
                imageio.mimsave(tmp, self.frames, duration=1.0 / fps, loop=0)
            else:
                with imageio.get_writer(tmp, format="FFMPEG", fps=fps, codec="libx264", quality=7,
                                        macro_block_size=8, ffmpeg_log_level="error") as writer:
                    for frame in self.frames:
                        writer.append_data(frame)
        return path
