"""Import PyBullet quietly.

The PyBullet C extension prints its build time (and URDF parser chatter) straight to file descriptor 1, which
would corrupt ``--json`` output; :func:`quiet_stdout` silences fd 1 around such calls.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_stdout(fds: tuple[int, ...] = (1,)) -> Iterator[None]:
    """Redirect process-level file descriptors (default: stdout) to /dev/null for the duration of the block."""
    try:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        saved = [os.dup(fd) for fd in fds]
    except (OSError, ValueError, AttributeError):  # no real fds (e.g. some notebook kernels): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            for fd in fds:
                os.dup2(devnull.fileno(), fd)
            yield
    finally:
        _flush_c_stdout()  # C-level printf output is buffered; flush it while the fds still point at /dev/null
        for fd, copy in zip(fds, saved):
            os.dup2(copy, fd)
            os.close(copy)


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
