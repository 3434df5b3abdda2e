"""Output paths, checked before any work starts: the folder is created and a probe file written and removed, so a
path under a file, on a read-only filesystem or without permission fails in one line, not after the run."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class OutputPathError(ValueError):
    """An output path that cannot be written (printed as one line, exit code 2)."""


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def prepare_output_dir(path: str | os.PathLike, what: str) -> Path:
    """Create the folder ``path`` (and its parents) and check that a file can be written in it.

    Args:
        what: how the user gave the path, for the message (e.g. ``"--out"``).

    Raises:
        OutputPathError: it exists and is not a folder, cannot be created, or is not writable.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"{what} {str(path)!r} exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
        detail = f"{str(blocker)!r} is a file" if blocker is not None else _reason(exc)
        raise OutputPathError(f"{what} {str(path)!r}: cannot create the folder ({detail})") from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".quadgait-write-probe.", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputPathError(f"{what} {str(path)!r}: cannot write there ({_reason(exc)})") from None
    return path


def check_output_file(path: str | os.PathLike, what: str, suffixes: tuple[str, ...]) -> Path:
    """Check an output file path: its suffix, that it is not a folder, and that its folder is writable (created
    if missing).

    Raises:
        OutputPathError: any of these fails (the message names ``path`` and what is valid).
    """
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise OutputPathError(f"{what} {str(path)!r} must end in {' or '.join(suffixes)}")
    if path.is_dir():
        raise OutputPathError(f"{what} {str(path)!r} is a directory")
    prepare_output_dir(path.parent if str(path.parent) else Path("."), f"{what} {str(path)!r}: its folder")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputPathError(f"{what} {str(path)!r} exists and is not writable")
    return path
