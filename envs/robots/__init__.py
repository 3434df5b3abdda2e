"""Robot descriptions, by name. Adding a robot = adding one :class:`RobotDescription` to ``ROBOTS``."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from envs.robots.a1 import A1
from envs.robots.aliengo import ALIENGO
from envs.robots.description import JOINT_LABELS, LEG_NAMES, NUM_JOINTS, NUM_LEGS, RobotDescription
from envs.robots.laikago import LAIKAGO, LAIKAGO_FAST
from envs.robots.mini_cheetah import MINI_CHEETAH

ROBOTS: Mapping[str, RobotDescription] = MappingProxyType(
    {r.name: r for r in (LAIKAGO_FAST, LAIKAGO, A1, ALIENGO, MINI_CHEETAH)})
DEFAULT_ROBOT = "laikago_fast"


def robot_names() -> tuple[str, ...]:
    return tuple(sorted(ROBOTS))


def get_robot(name: str | RobotDescription) -> RobotDescription:
    """Return the description registered under ``name`` (a description passes through unchanged).

    Raises:
        ValueError: unknown name; the message lists the valid ones.
    """
    if isinstance(name, RobotDescription):
        return name
    if not isinstance(name, str) or name not in ROBOTS:
        raise ValueError(f"unknown robot {name!r}; valid robots: {', '.join(robot_names())}")
    return ROBOTS[name]


__all__ = ["DEFAULT_ROBOT", "JOINT_LABELS", "LEG_NAMES", "NUM_JOINTS", "NUM_LEGS", "ROBOTS", "RobotDescription",
           "get_robot", "robot_names"]
