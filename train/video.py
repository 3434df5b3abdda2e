"""Follow-camera videos of rollouts (imageio + the ffmpeg binary shipped in imageio-ffmpeg).

Frames are streamed into the encoder as they are rendered, so memory stays flat however long the rollout (holding
them would cost about 13 MB per simulated second). The video is written to a temporary file beside the target and
moved into place when complete: an interrupted or failed rollout leaves no partial file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import TracebackType

import gymnasium as gym

from train.paths import OutputPathError, prepare_output_dir

VIDEO_SUFFIXES = (".mp4", ".gif")


def check_video_path(path: str | os.PathLike) -> Path:
    """Validate a video output path before any simulation runs: suffix, not a folder, folder writable (created if
    missing)."""
    path = Path(path)
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise OutputPathError(f"video file {str(path)!r} must end in one of {', '.join(VIDEO_SUFFIXES)}")
    if path.is_dir():
        raise OutputPathError(f"video path {str(path)!r} is a directory")
    prepare_output_dir(path.parent, f"video {str(path)!r}: its folder")
    return path


#: Frame rate videos aim at, frames per simulated second.
VIDEO_FPS = 25.0


class VideoWriter:
    """Streams ``env.render()`` frames, every ``every`` control steps, into ``path`` (.mp4 or .gif).

    Use as ``run_episode``'s ``on_step`` inside a ``with`` block: leaving the block normally finishes the file;
    leaving it with an exception (Ctrl-C included) deletes the partial file. The frame rate is the env's control
    rate divided by ``every`` (by default about 25 fps whatever the control rate).
    """

    def __init__(self, path: str | os.PathLike, every: int | None = None) -> None:
        self.path = check_video_path(path)
        #: Frames are taken every ``every`` control steps; None: about 25 frames per simulated second.
        self.every = None if every is None else max(1, int(every))
        self.frames = 0
        self._writer = None
        self._tmp: Path | None = None

    def __call__(self, env: gym.Env, step: int) -> None:
        if self.every is None:
            self.every = max(1, round(1.0 / (env.unwrapped.control_dt_s * VIDEO_FPS)))
        if step % self.every:
            return
        frame = env.render()
        if self._writer is None:
            self._open(1.0 / (env.unwrapped.control_dt_s * self.every))
        self._writer.append_data(frame)
        self.frames += 1

    def _open(self, fps: float) -> None:
        import imageio.v2 as imageio

        suffix = self.path.suffix.lower()
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=f".partial{suffix}", dir=self.path.parent)
        os.close(fd)
        self._tmp = Path(tmp)
        if suffix == ".gif":
            self._writer = imageio.get_writer(self._tmp, mode="I", duration=1.0 / fps, loop=0)
        else:
            self._writer = imageio.get_writer(self._tmp, format="FFMPEG", fps=fps, codec="libx264", quality=7,
                                              macro_block_size=8, ffmpeg_log_level="error")

    def finish(self) -> Path:
        """Close the encoder and move the video into place."""
        if self._writer is None:
            raise ValueError("no frames were captured")
        self._writer.close()
        self._writer = None
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self._tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the video normal file permissions
        os.replace(self._tmp, self.path)
        self._tmp = None
        return self.path

    def abort(self) -> None:
        """Close the encoder and delete the partial file."""
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:  # noqa: BLE001 - the file is being thrown away anyway
                pass
            self._writer = None
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
            self._tmp = None

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if kind is None and self._writer is not None:
            self.finish()
        else:
            self.abort()
