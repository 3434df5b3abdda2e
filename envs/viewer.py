"""A PyBullet GUI window that mirrors a simulation: the physics always runs in a headless client, and this viewer
(its own GUI client with the same robot and terrain) copies the robot's pose into the window.

Opening it lazily, on the first human-mode render, keeps env construction headless, so the same seed gives the
same numbers with or without a window.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from envs.engine import Engine
from envs.robots.description import RobotDescription
from envs.sim import PhysicsSettings, Simulation
from envs.state import RobotState


def display_available() -> bool:
    """True where a GUI window can open (a DISPLAY or Wayland session on Linux; always on macOS and Windows)."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class WindowClosed(RuntimeError):
    """The user closed the GUI window."""


class Viewer:
    """A GUI window showing a robot whose physics runs elsewhere.

    Args:
        robot: the robot description.
        settings: the physics settings of the simulation to mirror (terrain, payload body); ``gui`` is forced on.

    Raises:
        RuntimeError: there is no display.
    """

    def __init__(self, robot: RobotDescription, settings: PhysicsSettings) -> None:
        import dataclasses

        from envs._pybullet import pybullet

        if not display_available():
            raise RuntimeError("the PyBullet GUI needs a display (DISPLAY is not set); use render_mode='rgb_array' "
                               "or run under xvfb-run")
        self.robot = robot
        self.sim = Simulation(robot, dataclasses.replace(settings, gui=True, visual_shapes=True))
        self._p = self.sim.client
        self._p.configureDebugVisualizer(pybullet.COV_ENABLE_GUI, 0)
        self._text_ids: list[int] = []

    def show(self, sim: Engine, state: RobotState) -> None:
        """Copy ``state``'s base pose and joint angles into the window and follow the robot with the camera.

        Raises:
            WindowClosed: the window was closed.
        """
        if not self.is_open():
            raise WindowClosed("the PyBullet window was closed")
        p = self._p
        self.sim.show_state(state)
        pos = state.base_position_world
        p.resetDebugVisualizerCamera(1.6, 30.0, -20.0, [float(pos[0]), float(pos[1]), 0.3])

    def show_text(self, lines: list[str], anchor: np.ndarray) -> None:
        """Write ``lines`` in the window above ``anchor`` (world position, m), replacing the previous text."""
        for k, line in enumerate(lines):
            position = [float(anchor[0]), float(anchor[1]), float(anchor[2]) + 0.45 - 0.08 * k]
            if k < len(self._text_ids):
                self._text_ids[k] = self._p.addUserDebugText(line, position, textColorRGB=[0.1, 0.1, 0.1],
                                                             textSize=1.3, replaceItemUniqueId=self._text_ids[k])
            else:
                self._text_ids.append(self._p.addUserDebugText(line, position, textColorRGB=[0.1, 0.1, 0.1],
                                                               textSize=1.3))

    def keyboard_events(self) -> dict[int, int]:
        """PyBullet key codes -> state flags of the keys pressed or released since the last call."""
        return dict(self._p.getKeyboardEvents())

    def is_open(self) -> bool:
        return not self.sim._closed and bool(self._p.isConnected())

    def close(self) -> None:
        self.sim.close()
