"""Import PyBullet quietly.

The PyBullet C extension prints its build time (and URDF parser chatter) straight to file descriptor 1, which
would corrupt ``--json`` output; :func:`quiet_stdout` silences fd 1 around such calls.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
from collections.abc import Iterator

# File descriptors are process-wide, so the redirection is too: one lock, and per descriptor a count of the blocks
# that want it silenced and the saved original. Without this, two threads creating envs at once restored each
# other's /dev/null and silenced stdout for the rest of the process. While any block is active, every thread's
# output to that descriptor is discarded.
_lock = threading.Lock()
_users: dict[int, int] = {}
_saved: dict[int, int] = {}


@contextlib.contextmanager
def quiet_stdout(fds: tuple[int, ...] = (1,)) -> Iterator[None]:
    """Redirect process-level file descriptors (default: stdout) to /dev/null for the duration of the block.

    Thread-safe and re-entrant: a descriptor is restored when the last block that silenced it ends.
    """
    entered: list[int] = []
    try:
        with _lock:
            for fd in fds:
                if _users.get(fd, 0) == 0:
                    _silence(fd)
                _users[fd] = _users.get(fd, 0) + 1
                entered.append(fd)
    except (OSError, ValueError, AttributeError):  # no real fds (e.g. some notebook kernels): nothing to silence
        _leave(entered)
        yield
        return
    try:
        yield
    finally:
        _leave(entered)


def _silence(fd: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = os.dup(fd)
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, fd)
        finally:
            os.close(devnull)
    except OSError:
        os.close(saved)
        raise
    _saved[fd] = saved


def _leave(fds: list[int]) -> None:
    with _lock:
        if any(_users.get(fd) == 1 for fd in fds):
            _flush_c_stdout()  # C-level printf output is buffered; flush it while the fds still point at /dev/null
        for fd in fds:
            _users[fd] -= 1
            if _users[fd] == 0:
                saved = _saved.pop(fd)
                os.dup2(saved, fd)
                os.close(saved)


def _flush_c_stdout() -> None:
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):
        pass


# The build-time banner goes to stderr; an import error would still raise (and print) normally afterwards.
with quiet_stdout((1, 2)):
    import pybullet  # noqa: E402
    import pybullet_data  # noqa: E402
    from pybullet_utils.bullet_client import BulletClient  # noqa: E402

__all__ = ["BulletClient", "pybullet", "pybullet_data", "quiet_stdout"]
