"""Pretrained policies shipped with quadgait, runnable by name (``quadgait eval laikago-residual-ppo``).

Each sub-folder is a run folder (``model.zip``, ``vecnormalize.pkl``, ``config.yaml``) plus a ``README.md`` with the
exact command that reproduces it. They are pickles produced by this project; ONNX exports are in the same folders.
"""

from __future__ import annotations

from pathlib import Path

PRETRAINED_DIR = Path(__file__).resolve().parent


def pretrained_names() -> tuple[str, ...]:
    return tuple(sorted(p.name for p in PRETRAINED_DIR.iterdir() if (p / "model.zip").is_file()))


def pretrained_path(name: str) -> Path | None:
    """The run folder of the pretrained policy called ``name``, or None."""
    if name in pretrained_names():
        return PRETRAINED_DIR / name
    return None
