"""A video that cannot be written whole is an error naming the user's path, and leaves no file (audit D2: on a
full disk the encoder's failures went unnoticed, a truncated mp4 was reported as written, or ffmpeg's multi-line
dump named the internal ``.partial`` file)."""

from __future__ import annotations

import errno

import imageio.v2 as imageio
import pytest

from tests.train.test_outputs import _FakeEnv
from train.cli import main
from train.video import VideoWriteError, VideoWriter, check_encoded_video


def _writer_that(monkeypatch, *, on_close=None, on_append=None):
    """imageio.get_writer whose writers fail as a full disk makes them fail."""
    real = imageio.get_writer

    class Failing:
        def __init__(self, path, *args, **kwargs):
            self.path, self.inner = path, real(path, *args, **kwargs)

        def append_data(self, frame):
            if on_append is not None:
                raise on_append
            self.inner.append_data(frame)

        def close(self):
            self.inner.close()
            if on_close is not None:
                on_close(self.path)

    monkeypatch.setattr(imageio, "get_writer", Failing)


def _truncate_to_half(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _assert_nothing_left(folder, name):
    assert not (folder / name).exists()
    assert not list(folder.glob(".*partial*")), list(folder.iterdir())


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_a_truncated_encode_is_an_error_not_a_video(tmp_path, monkeypatch, suffix):
    _writer_that(monkeypatch, on_close=_truncate_to_half)
    path = tmp_path / f"v{suffix}"
    env = _FakeEnv()
    with pytest.raises(VideoWriteError, match=f"video '{path}': the encoder left an incomplete file"):
        with VideoWriter(path, every=1) as writer:
            for step in range(8):
                writer(env, step)
            writer.finish()
    _assert_nothing_left(tmp_path, path.name)


@pytest.mark.parametrize("failure, reason", [
    (OSError(errno.ENOSPC, "No space left on device"), "cannot write it (No space left on device)"),
    # what imageio raises when ffmpeg has died of a full disk: a multi-line IOError without an errno
    (OSError("[Errno 32] Broken pipe\n\nFFMPEG COMMAND:\nffmpeg -y ... /x/.w.abc.partial.mp4\n\n"
             "FFMPEG STDERR OUTPUT:\n"),
     "the encoder stopped early ([Errno 32] Broken pipe; is the disk full?)"),
])
def test_walk_video_on_a_full_disk_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, failure, reason):
    _writer_that(monkeypatch, on_append=failure)
    path = tmp_path / "w.mp4"
    assert main(["walk", "--seconds", "0.5", "--video", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [f"quadgait walk: error: video '{path}': {reason}; no video was written"]
    assert "video:" not in captured.out
    _assert_nothing_left(tmp_path, path.name)


def test_play_course_video_truncated_by_a_full_disk_fails(tmp_path, monkeypatch, capsys):
    _writer_that(monkeypatch, on_close=_truncate_to_half)
    path = tmp_path / "c.mp4"
    assert main(["play", "trot", "--course", "figure-eight", "--seconds", "0.5",
                 "--video", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and f"video '{path}': the encoder left an incomplete file" in err[0], err
    _assert_nothing_left(tmp_path, path.name)


def test_the_check_accepts_a_whole_mp4_and_rejects_every_truncation(tmp_path):
    path = tmp_path / "v.mp4"
    env = _FakeEnv()
    with VideoWriter(path, every=1) as writer:
        for step in range(10):
            writer(env, step)
        writer.finish()
    assert check_encoded_video(path) is None
    data = path.read_bytes()
    cut = tmp_path / "cut.mp4"
    for size in (0, 4, 40, len(data) // 3, len(data) // 2, len(data) - 1):
        cut.write_bytes(data[:size])
        assert check_encoded_video(cut) is not None, size
