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
def quiet_stdout() -> Iterator[None]:
    """Redirect the process-level stdout (fd 1) to /dev/null for the duration of the block."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no real fd 1 (e.g. some notebook kernels): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        _flush_c_stdout()  # C-level printf output is buffered; flush it while fd 1 still points at /dev/null
        os.dup2(saved, 1)
        os.close(saved)


def _flush_c_stdout() -> None:
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):
        pass


with quiet_stdout():
    import pybullet  # noqa: E402
    import pybullet_data  # noqa: E402
    from pybullet_utils.bullet_client import BulletClient  # noqa: E402

__all__ = ["BulletClient", "pybullet", "pybullet_data", "quiet_stdout"]
