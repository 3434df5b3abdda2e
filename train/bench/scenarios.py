"""Benchmark scenarios: named, versioned data. Change a scenario → bump ``SUITE_VERSION``.

Each scenario fixes the command (or a course of commands), the episode length, the env settings that differ from
the defaults, and the seeds of its episodes (episode ``k`` uses ``seeds[k]``; ``--episodes`` beyond the listed
seeds continue from the last one). The controller's own env task holds the command: the scenario gives it as reset
options (:meth:`Scenario.reset_options`, passed to :func:`envs.rollout.run_controller`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

# 2.1: keyboard-style straight commands (yaw rate 0, no heading feedback), rough-2, push-12ns;
# 2.0: steering scenarios and a course; straight commands hold the heading; 1.1: terrain
SUITE_VERSION = "2.1"


@dataclass(frozen=True)
class Scenario:
    """One benchmark condition.

    Attributes:
        name: unique id, e.g. ``"flat-0.5"``.
        description: one line for reports.
        command: (vx m/s, vy m/s, yaw rate rad/s) in the heading frame, held all episode. A command without a yaw
            rate holds the initial heading (the env task's heading mode: its yaw-rate command comes from the
            heading error, as in legged_gym; tasks without a heading mode, like the walk task, hold the heading
            through their own reward).
        seconds: episode length, s.
        env_settings: env keyword arguments that differ from the defaults (conditions: terrain, pushes, ...).
        seeds: reset seeds of episodes 0, 1, ...
        schedule: instead of ``command``, rows ``(start_s, vx, vy, yaw_rate)`` of a course; scored by
            ``path_error_m``, the mean distance from the path the commands describe.
        hold_heading: a command without a yaw rate holds the initial heading (heading mode); False gives the plain
            yaw-rate command 0 instead, as a keyboard or joystick sends it.
    """

    name: str
    description: str
    command: tuple[float, float, float] = (0.0, 0.0, 0.0)
    seconds: float = 20.0
    env_settings: Mapping[str, Any] = field(default_factory=dict)
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    schedule: tuple[tuple[float, float, float, float], ...] | None = None
    hold_heading: bool = True

    def seed(self, episode: int) -> int:
        if episode < len(self.seeds):
            return self.seeds[episode]
        return self.seeds[-1] + episode - len(self.seeds) + 1

    def commands(self) -> list[tuple[float, float, float]]:
        """Every command the scenario gives (to check a policy's training range)."""
        if self.schedule is not None:
            return [tuple(row[1:]) for row in self.schedule]
        return [self.command]

    def reset_options(self) -> dict[str, Any]:
        """The env's ``reset(options=...)`` that make its task hold the scenario's command (or course)."""
        if self.schedule is not None:
            return {"command_schedule": [list(row) for row in self.schedule]}
        command = tuple(float(c) for c in self.command)
        if self.command[2] == 0.0 and self.hold_heading:
            return {"command": command, "heading_rad": 0.0}
        return {"command": command}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "command": list(self.command),
                "seconds": self.seconds, "env_settings": dict(self.env_settings), "seeds": list(self.seeds),
                "schedule": None if self.schedule is None else [list(r) for r in self.schedule],
                "hold_heading": self.hold_heading}


def figure_eight(speed_mps: float = 0.4, yaw_rate_radps: float = 0.5) -> tuple[tuple[float, ...], ...]:
    """A figure eight: one full left circle, then one full right circle (radius speed / yaw rate)."""
    lap_s = 2 * math.pi / yaw_rate_radps
    return ((0.0, speed_mps, 0.0, yaw_rate_radps), (round(lap_s, 2), speed_mps, 0.0, -yaw_rate_radps))


_ALL = (
    Scenario("flat-0.3", "flat ground, walk forward at 0.3 m/s", (0.3, 0.0, 0.0)),
    Scenario("flat-0.5", "flat ground, walk forward at 0.5 m/s", (0.5, 0.0, 0.0)),
    Scenario("flat-0.8", "flat ground, walk forward at 0.8 m/s", (0.8, 0.0, 0.0)),
    Scenario("stand", "flat ground, stand still (command zero)", (0.0, 0.0, 0.0)),
    Scenario("backward-0.3", "flat ground, walk backward at 0.3 m/s", (-0.3, 0.0, 0.0)),
    Scenario("lateral-left-0.3", "flat ground, walk sideways to the left at 0.3 m/s", (0.0, 0.3, 0.0)),
    Scenario("lateral-right-0.3", "flat ground, walk sideways to the right at 0.3 m/s", (0.0, -0.3, 0.0)),
    Scenario("turn-in-place", "flat ground, turn on the spot at 0.6 rad/s", (0.0, 0.0, 0.6)),
    Scenario("turn-left", "flat ground, 0.3 m/s while turning left at 0.4 rad/s", (0.3, 0.0, 0.4)),
    Scenario("turn-right", "flat ground, 0.3 m/s while turning right at 0.4 rad/s", (0.3, 0.0, -0.4)),
    Scenario("keyboard-0.5", "flat ground, 0.5 m/s forward with a plain yaw-rate command of 0 (no heading "
             "feedback: what the keyboard sends)", (0.5, 0.0, 0.0), hold_heading=False),
    Scenario("keyboard-0.8", "flat ground, 0.8 m/s forward with a plain yaw-rate command of 0 (no heading "
             "feedback: what the keyboard sends)", (0.8, 0.0, 0.0), hold_heading=False),
    Scenario("figure-eight", "flat ground, a figure eight at 0.4 m/s (two 1.6 m circles, 0.5 rad/s)",
             seconds=25.2, schedule=figure_eight()),
    Scenario("low-friction", "0.5 m/s on ground with friction coefficient 0.4", (0.5, 0.0, 0.0),
             env_settings={"ground_friction": 0.4}),
    Scenario("high-friction", "0.5 m/s on ground with friction coefficient 1.5", (0.5, 0.0, 0.0),
             env_settings={"ground_friction": 1.5}),
    Scenario("payload-5kg", "0.5 m/s carrying a 5 kg payload on the base", (0.5, 0.0, 0.0),
             env_settings={"added_base_mass_kg": 5.0}),
    # 8 N·s changes the robot's velocity by ~0.3 m/s; at 15 N·s every built-in gait fell in every episode.
    Scenario("push-8ns", "0.5 m/s with an 8 N·s horizontal push every 4 s (random direction)", (0.5, 0.0, 0.0),
             env_settings={"push_impulse_ns": 8.0, "push_interval_s": 4.0}),
    Scenario("push-12ns", "0.5 m/s with a 12 N·s horizontal push every 4 s (random direction)", (0.5, 0.0, 0.0),
             env_settings={"push_impulse_ns": 12.0, "push_interval_s": 4.0}),
    Scenario("randomized", "0.5 m/s with domain randomization (friction, payload, centre of mass, motors, gains, "
             "latency, observation noise)", (0.5, 0.0, 0.0), env_settings={"domain_randomization": True}),
    Scenario("rough-1", "0.5 m/s over rough ground, 2 cm peak-to-peak (terrain rough:1)", (0.5, 0.0, 0.0),
             env_settings={"terrain": "rough:1"}),
    Scenario("rough-2", "0.5 m/s over rough ground, 3 cm peak-to-peak (terrain rough:2)", (0.5, 0.0, 0.0),
             env_settings={"terrain": "rough:2"}),
    Scenario("slope-5deg", "0.5 m/s over 5 degree ramps up and down (terrain slope:1)", (0.5, 0.0, 0.0),
             env_settings={"terrain": "slope:1"}),
    Scenario("stairs-4cm", "0.5 m/s up and down 4 cm steps (terrain stairs:1)", (0.5, 0.0, 0.0),
             env_settings={"terrain": "stairs:1"}),
)

#: The scenarios on flat ground without disturbances, where tracking is compared.
STEERING = ("flat-0.3", "flat-0.5", "flat-0.8", "stand", "backward-0.3", "lateral-left-0.3", "lateral-right-0.3",
            "turn-in-place", "turn-left", "turn-right", "keyboard-0.5", "keyboard-0.8", "figure-eight")
SCENARIOS: Mapping[str, Scenario] = MappingProxyType({s.name: s for s in _ALL})
#: What ``quadgait bench`` runs without ``--scenario``.
DEFAULT_SUITE: tuple[str, ...] = tuple(s.name for s in _ALL)


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; ``ValueError`` listing the valid names otherwise."""
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; valid scenarios: {', '.join(SCENARIOS)}")
    return SCENARIOS[name]
