"""What keeps a training run's folder consistent: one run per folder (a lock), and Ctrl-C that stops at the next
env step and saves a checkpoint instead of losing the work."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from stable_baselines3.common.callbacks import BaseCallback

LOCK_FILE = ".quadgait-train.lock"


class RunFolderBusy(ValueError):
    """Another ``quadgait train`` holds the run folder."""


class TrainingInterrupted(Exception):
    """Training stopped on Ctrl-C after saving a checkpoint (``checkpoint`` None if nothing could be saved)."""

    def __init__(self, run: Path, step: int, checkpoint: Path | None) -> None:
        super().__init__(f"interrupted at step {step}")
        self.run, self.step, self.checkpoint = run, step, checkpoint


@contextlib.contextmanager
def run_lock(run: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``run`` for the block (``flock`` on ``RUN/.quadgait-train.lock``).

    The kernel drops the lock when the process dies, even by SIGKILL, so a killed run never blocks its resume.

    Raises:
        RunFolderBusy: another process holds it (the message gives its pid).
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    path = run / LOCK_FILE
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise RunFolderBusy(f"run folder {str(run)!r} is in use by another quadgait train (pid {holder}); wait "
                                "for it to finish or choose another --out") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:  # not a file the previous holder removed while we were opening it
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)


class StopOnInterrupt(BaseCallback):
    """Ends ``model.learn`` at the next env step once :attr:`requested` is set (by the Ctrl-C handler)."""

    def __init__(self) -> None:
        super().__init__()
        self.requested = False

    def _on_step(self) -> bool:
        return not self.requested


@contextlib.contextmanager
def stop_on_sigint(stopper: StopOnInterrupt, on_request=None) -> Iterator[None]:
    """First Ctrl-C (SIGINT): ask ``stopper`` to end training at the next step; a second one aborts at once
    (KeyboardInterrupt). Only in the main thread (signal handlers cannot be set elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame) -> None:
        if stopper.requested:
            raise KeyboardInterrupt
        stopper.requested = True
        if on_request is not None:
            on_request()
        print("\nquadgait train: interrupted; stopping at the next step to save a checkpoint (Ctrl-C again to abort "
              "without saving)", file=sys.stderr, flush=True)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def ignore_sigint() -> None:
    """In a worker process: leave Ctrl-C to the parent, which stops the run and closes the workers itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
