"""Locate and load the project's URDF files.

The URDFs under ``urdf/`` reference the stock Laikago meshes that ship with
``pybullet_data`` as ``package://pybullet_data/laikago/<file>``.  PyBullet
resolves mesh filenames relative to the URDF's own folder (``setAdditionalSearchPath``
is not consulted for meshes), so :func:`resolve_urdf` rewrites those URLs to
absolute paths and writes the result to a content-addressed cache file that can
be passed to ``p.loadURDF``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import pybullet_data

__all__ = ["PROJECT_URDF_DIR", "PACKAGE_PREFIX", "resolve_urdf", "stock_laikago_urdf"]

#: Folder holding the project's URDF files (``<repo>/urdf``).
PROJECT_URDF_DIR = Path(__file__).resolve().parents[2] / "urdf"

#: URL prefix used in the project's URDFs for files shipped with pybullet_data.
PACKAGE_PREFIX = "package://pybullet_data/"

_CACHE_DIR_NAME = "quadgait-urdf"


def stock_laikago_urdf() -> str:
    """Absolute path of pybullet_data's ``laikago/laikago_toes_zup.urdf``."""
    return str(Path(pybullet_data.getDataPath()).resolve() / "laikago" / "laikago_toes_zup.urdf")


def resolve_urdf(path: str | os.PathLike) -> str:
    """Return a path to ``path`` that ``p.loadURDF`` can load.

    ``package://pybullet_data/`` URLs are replaced with the absolute
    ``pybullet_data.getDataPath()``; the rewritten URDF is cached under
    ``<tempdir>/quadgait-urdf/<stem>-<sha1[:12]>.urdf`` (written atomically, once)
    and that path is returned.  A URDF without ``package://`` URLs is returned
    unchanged (as a string).

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: if ``package://`` URLs other than ``pybullet_data`` remain.
    """
    src = Path(path)
    if not src.is_file():
        raise FileNotFoundError(f"URDF file not found: {os.fspath(path)!r}")
    text = src.read_text(encoding="utf-8")
    if "package://" not in text:
        return os.fspath(path)

    data_dir = Path(pybullet_data.getDataPath()).resolve().as_posix().rstrip("/") + "/"
    resolved = text.replace(PACKAGE_PREFIX, data_dir)
    if "package://" in resolved:
        raise ValueError(
            f"{src}: only {PACKAGE_PREFIX!r} URLs can be resolved; found another package:// URL"
        )

    digest = hashlib.sha1(resolved.encode("utf-8")).hexdigest()[:12]
    cache_dir = Path(tempfile.gettempdir()) / _CACHE_DIR_NAME
    target = cache_dir / f"{src.stem}-{digest}.urdf"
    if not target.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{src.stem}-", suffix=".tmp", dir=cache_dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(resolved)
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
    return str(target)
