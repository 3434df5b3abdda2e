"""Locate and load the project's URDF files.

Where they are: the repository keeps them in the top-level ``urdf/`` folder; the wheel carries that folder as
``envs/urdf/`` (``pyproject.toml`` maps it in), and :func:`project_urdf_dir` finds it through the installed package
with ``importlib.resources``. Only when the package has no ``urdf/`` inside it, i.e. when ``envs`` is imported from a
source checkout (plain ``pytest``, or the editable install that ``make`` creates), is the checkout's ``urdf/`` used.

How they load: the URDFs reference the stock Laikago meshes that ship with ``pybullet_data`` as
``package://pybullet_data/laikago/<file>``. PyBullet resolves mesh filenames relative to the URDF's own folder
(``setAdditionalSearchPath`` is not consulted for meshes), so :func:`resolve_urdf` rewrites those URLs to absolute
paths and writes the result to a per-user cache file that can be passed to ``p.loadURDF``.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import pybullet_data

if TYPE_CHECKING:
    from envs.robots.description import RobotDescription

__all__ = ["PACKAGE_PREFIX", "PROJECT_URDF_DIR", "project_urdf_dir", "resolve_urdf", "stock_laikago_urdf",
           "urdf_cache_dir"]

#: URL prefix used in the project's URDFs for files shipped with pybullet_data.
PACKAGE_PREFIX = "package://pybullet_data/"

#: Private per-process fallback cache (created on first need when the per-user cache is not writable).
_private_cache: Path | None = None


def project_urdf_dir() -> Path:
    """Folder holding the project's URDF files.

    ``envs/urdf`` inside the installed package (wheel or sdist install); from a source checkout, where the package
    has no such folder, the checkout's top-level ``urdf/``.
    """
    packaged = resources.files("envs") / "urdf"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "urdf"


#: Folder holding the project's URDF files (see :func:`project_urdf_dir`).
PROJECT_URDF_DIR = project_urdf_dir()


def stock_laikago_urdf() -> str:
    """Absolute path of pybullet_data's ``laikago/laikago_toes_zup.urdf``."""
    return str(Path(pybullet_data.getDataPath()).resolve() / "laikago" / "laikago_toes_zup.urdf")


def urdf_cache_dir() -> Path:
    """The per-user folder for resolved URDFs: ``$XDG_CACHE_HOME/quadgait/urdf``, else ``~/.cache/quadgait/urdf``.

    Per user (not the shared temp folder) so that another user can neither plant a file there nor lock this user
    out with a file they cannot read. Nothing is created here; :func:`resolve_urdf` does that.
    """
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG spec says to ignore a relative value
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "quadgait" / "urdf"


def _private_cache_dir() -> Path:
    """A private (0700) temporary folder for this process, removed at exit."""
    global _private_cache
    if _private_cache is None or not _private_cache.is_dir():
        _private_cache = Path(tempfile.mkdtemp(prefix="quadgait-urdf-"))
        atexit.register(shutil.rmtree, _private_cache, ignore_errors=True)
    return _private_cache


def _read_or_none(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (mode 0644) through a temp file and ``os.replace``: readers never see half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _cached_copy(name: str, text: str) -> Path:
    """A file called ``name`` holding exactly ``text``, in the per-user cache (or the private fallback).

    An existing file is reused only when its content is ``text``; otherwise (edited, truncated, unreadable) it is
    rewritten. When the per-user cache cannot be created or written (read-only home, no home), a private temporary
    folder for this process is used instead.
    """
    error: OSError | None = None
    for folder in (urdf_cache_dir, _private_cache_dir):
        try:
            target = folder() / name
            if not target.is_absolute():  # no home folder: "~" did not expand
                continue
            if _read_or_none(target) == text:
                return target
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(target, text)
            return target
        except OSError as exc:
            error = exc
    raise OSError(f"cannot write the resolved URDF {name!r} to {urdf_cache_dir()} nor to a temporary folder: {error}")


def resolve_urdf(path: str | os.PathLike) -> str:
    """Return a path to ``path`` that ``p.loadURDF`` can load.

    ``package://pybullet_data/`` URLs are replaced with the absolute ``pybullet_data.getDataPath()``; the rewritten
    URDF is cached as ``<stem>-<sha1[:12]>.urdf`` in :func:`urdf_cache_dir` (written atomically, mode 0644; a
    cached file whose content differs is rewritten) and that path is returned. A URDF without ``package://`` URLs
    is returned unchanged (as a string).

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
    return str(_cached_copy(f"{src.stem}-{digest}.urdf", resolved))


def resolve_robot_urdf(robot: RobotDescription) -> str:
    """Loadable URDF path for a description: ``package://pybullet_data/`` paths point into pybullet_data, relative
    paths into the project's URDF folder (``PROJECT_URDF_DIR``: inside the installed package, or ``urdf/`` of a
    source checkout; see :mod:`envs.robots.urdf_files`)."""
    prefix = "package://pybullet_data/"
    if robot.urdf.startswith(prefix):
        path = Path(pybullet_data.getDataPath()) / robot.urdf[len(prefix):]
    else:
        path = Path(robot.urdf)
        if not path.is_absolute():
            path = PROJECT_URDF_DIR / path
    return resolve_urdf(path)
