"""quadgait under its own name: ``import quadgait`` registers the Gymnasium environments, exactly as ``import envs``.

Use it wherever a tool imports a module by name before making an env::

    python -m rl_zoo3.train --algo ppo --env quadgait/LaikagoWalk-v0 --gym-packages quadgait
    gymnasium.make("quadgait:quadgait/LaikagoWalk-v0")   # imports quadgait first: works in fresh subprocess workers

The library itself is :mod:`envs` (robots, simulation, tasks, gaits, metrics, the env) and the command line is
:mod:`train`; this package adds nothing but the name and the version.
"""

from __future__ import annotations

from importlib import metadata

from envs import ENV_IDS

try:
    #: The installed distribution's version (``quadgait --version`` prints it).
    __version__: str = metadata.version("quadgait")
except metadata.PackageNotFoundError:  # imported from a source checkout that was never installed
    __version__ = "0+unknown"

__all__ = ["ENV_IDS", "__version__"]
