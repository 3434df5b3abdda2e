"""Trained policies: loading a stable-baselines3 run folder or model as a controller (:mod:`envs.policies.loading`),
and the pretrained policies shipped with quadgait, runnable by name (``quadgait eval laikago-walk-ppo``).

Each folder under ``pretrained/`` is a run folder (``model.zip``, the normaliser, ``config.yaml``) plus a
``README.md`` with the exact command that reproduces it and an ONNX export. They are found through the installed
package (``importlib.resources``), so they work from a wheel as from a checkout.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

MODEL_FILE = "model.zip"


def pretrained_dir() -> Path:
    """The folder holding the shipped policies."""
    return Path(str(resources.files("envs.policies") / "pretrained"))


def pretrained_names() -> tuple[str, ...]:
    folder = pretrained_dir()
    if not folder.is_dir():
        return ()
    return tuple(sorted(p.name for p in folder.iterdir() if (p / MODEL_FILE).is_file()))


def pretrained_path(name: str) -> Path | None:
    """The run folder of the pretrained policy called ``name``, or None."""
    if name in pretrained_names():
        return pretrained_dir() / name
    return None
