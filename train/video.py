"""Follow-camera videos of rollouts (imageio + the ffmpeg binary shipped in imageio-ffmpeg).

Frames are streamed into the encoder as they are rendered, so memory stays flat however long the rollout (holding
them would cost about 13 MB per simulated second). The video is written to a temporary file beside the target and
moved into place when complete: an interrupted or failed rollout leaves no partial file. A failed encode (a full
disk, ffmpeg dying) is a :class:`VideoWriteError` naming the user's path: the finished file is checked (an mp4's
boxes must add up to the file and hold its ``moov`` index, a gif must end in its trailer) before it is moved into
place, because imageio does not report ffmpeg's own write errors.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from types import TracebackType

import gymnasium as gym

from train.atomic import make_partial
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


class VideoWriteError(RuntimeError):
    """The video could not be written (one line naming the user's path); nothing is left at that path."""


def _write_error(path: Path, exc: BaseException | None, reason: str = "") -> VideoWriteError:
    """One line for a failed encode: the user's path, what went wrong (not ffmpeg's multi-line dump)."""
    if isinstance(exc, OSError) and exc.errno is not None:
        reason = f"cannot write it ({os.strerror(exc.errno)})"
    elif exc is not None:  # imageio wraps ffmpeg's death in a multi-line IOError with no errno: keep its first line
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        reason = f"the encoder stopped early ({first}; is the disk full?)"
    return VideoWriteError(f"video {str(path)!r}: {reason}; no video was written")


def check_encoded_video(path: Path) -> str | None:
    """Why the encoded file at ``path`` is not a complete video, or None when it looks whole.

    An mp4 is a sequence of boxes (4-byte big-endian size, 4-byte type); a truncated one (a full disk mid-encode)
    has boxes running past the end of the file or lacks ``moov``, the index players need. A gif ends in ``;``.
    """
    size = path.stat().st_size
    if size == 0:
        return "it is empty"
    with open(path, "rb") as f:
        if path.suffix.lower() == ".gif":
            f.seek(-1, os.SEEK_END)
            return None if f.read(1) == b";" else "the gif is truncated"
        offset, types = 0, set()
        while offset < size:
            f.seek(offset)
            header = f.read(16)
            if len(header) < 8:
                return "the mp4 is truncated"
            box_size, box_type = struct.unpack(">I4s", header[:8])
            if box_size == 1 and len(header) == 16:
                box_size = struct.unpack(">Q", header[8:16])[0]
            elif box_size == 0:
                box_size = size - offset
            if box_size < 8 or offset + box_size > size:
                return "the mp4 is truncated"
            types.add(box_type)
            offset += box_size
        return None if {b"moov", b"mdat"} <= types else "the mp4 has no moov index"


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
        try:
            if self._writer is None:
                self._open(1.0 / (env.unwrapped.control_dt_s * self.every))
            self._writer.append_data(frame)
        except (OSError, RuntimeError, ValueError) as exc:  # a full disk, ffmpeg gone: one line, not ffmpeg's dump
            raise _write_error(self.path, exc) from None
        self.frames += 1

    def _open(self, fps: float) -> None:
        import imageio.v2 as imageio

        suffix = self.path.suffix.lower()
        self._tmp = make_partial(self.path)
        if suffix == ".gif":
            self._writer = imageio.get_writer(self._tmp, mode="I", duration=1.0 / fps, loop=0)
        else:
            # ffmpeg's own messages are silenced: a failure is reported once, by finish(), as one line.
            self._writer = imageio.get_writer(self._tmp, format="FFMPEG", fps=fps, codec="libx264", quality=7,
                                              macro_block_size=8, ffmpeg_log_level="quiet")

    def finish(self) -> Path:
        """Close the encoder, check the file is a whole video and move it into place.

        Raises:
            VideoWriteError: the encoder failed or left an incomplete file (the partial file is deleted).
        """
        if self._writer is None:
            raise ValueError("no frames were captured")
        try:
            self._writer.close()
            self._writer = None
            with open(self._tmp, "rb+") as f:
                os.fsync(f.fileno())  # a full disk can surface only here
            problem = check_encoded_video(self._tmp)
        except (OSError, RuntimeError, ValueError) as exc:
            self.abort()
            raise _write_error(self.path, exc) from None
        if problem is not None:
            self.abort()
            raise _write_error(self.path, None, f"the encoder left an incomplete file, {problem} (is the disk full?)")
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
