"""Atomic file writes: results appear whole or not at all, even if the process is killed mid-write."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: When this process started (about: when this module was imported), s since the epoch.
_STARTED = time.time()
#: A temporary file untouched this long before this process started belongs to a write that was killed.
_STALE_MARGIN_S = 2.0


def remove_stale_partials(path: str | os.PathLike) -> list[Path]:
    """Delete the temporary files (``.<stem>.*.partial<suffix>``) of earlier writes of ``path`` that were killed
    (SIGKILL gives no chance to clean up): those last modified before this process started. Returns them."""
    path = Path(path)
    removed = []
    for stale in path.parent.glob(f".{glob.escape(path.stem)}.*.partial{glob.escape(path.suffix)}"):
        try:
            if stale.is_file() and stale.stat().st_mtime < _STARTED - _STALE_MARGIN_S:
                stale.unlink()
                removed.append(stale)
        except OSError:  # gone already, or not ours to remove
            pass
    return removed


def make_partial(path: Path) -> Path:
    """A new temporary file beside ``path`` for writing it atomically (stale ones of killed writes removed)."""
    remove_stale_partials(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".partial{path.suffix}", dir=path.parent)
    os.close(fd)
    return Path(tmp)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path in the target's folder (same suffix); on success it replaces ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        tmp_path = make_partial(path)
    except OSError as exc:  # named by its random temporary name: name the file being written
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    tmp = str(tmp_path)
    try:
        yield tmp_path
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp creates 0600; give the result normal file permissions
        os.replace(tmp_path, path)
    except OSError as exc:
        # A full disk while writing names no file (or the hidden temporary one): name the file being written.
        if exc.errno is not None and exc.filename in (None, "", tmp, tmp_path):
            raise OSError(exc.errno, exc.strerror or os.strerror(exc.errno), str(path)) from None
        raise
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(path: str | os.PathLike, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def write_json(path: str | os.PathLike, data: Any) -> Path:
    return write_text(path, dumps(data) + "\n")


def dumps(data: Any, indent: int | None = 2) -> str:
    """Strict JSON: numpy values become Python values and NaN/inf become null."""
    return json.dumps(to_jsonable(data), indent=indent, allow_nan=False)


def to_jsonable(value: Any) -> Any:
    import math

    import numpy as np

    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value

