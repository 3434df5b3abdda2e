"""Benchmark scenarios: named, versioned data. Change a scenario → bump ``SUITE_VERSION``.

Each scenario fixes the command, the episode length, the env settings that differ from the defaults, and the seeds
of its episodes (episode ``k`` uses ``seeds[k]``; ``--episodes`` beyond the listed seeds continue from the last one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

SUITE_VERSION = "1.1"  # 1.1: terrain and randomization scenarios


@dataclass(frozen=True)
class Scenario:
    """One benchmark condition.

    Attributes:
        name: unique id, e.g. ``"flat-0.5"``.
        description: one line for reports.
        command: (vx m/s, vy m/s, yaw rate rad/s) in the body frame.
        seconds: episode length, s.
        env_settings: ``LaikagoWalk-v0`` keyword arguments that differ from the defaults.
        seeds: reset seeds of episodes 0, 1, ...
    """

    name: str
    description: str
    command: tuple[float, float, float]
    seconds: float = 20.0
    env_settings: Mapping[str, Any] = field(default_factory=dict)
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)

    def seed(self, episode: int) -> int:
        if episode < len(self.seeds):
            return self.seeds[episode]
        return self.seeds[-1] + episode - len(self.seeds) + 1

    def commands(self) -> list[tuple[float, float, float]]:
        """Every command the scenario gives (to check a policy's training range)."""
        return [self.command]

    def command_arguments(self) -> dict[str, Any]:
        """Keyword arguments of :func:`envs.rollout.run_controller` that make the env's task hold the command."""
        return {"command": self.command}

    def extra_metrics(self, rollout) -> dict[str, float]:
        """Scenario-specific metrics added to each episode's record."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "command": list(self.command),
                "seconds": self.seconds, "env_settings": dict(self.env_settings), "seeds": list(self.seeds)}


_ALL = (
    Scenario("flat-0.3", "flat ground, walk forward at 0.3 m/s", (0.3, 0.0, 0.0)),
    Scenario("flat-0.5", "flat ground, walk forward at 0.5 m/s", (0.5, 0.0, 0.0)),
    Scenario("flat-0.8", "flat ground, walk forward at 0.8 m/s", (0.8, 0.0, 0.0)),
    Scenario("turn-left", "flat ground, 0.3 m/s while turning left at 0.4 rad/s", (0.3, 0.0, 0.4)),
    Scenario("turn-right", "flat ground, 0.3 m/s while turning right at 0.4 rad/s", (0.3, 0.0, -0.4)),
    Scenario("low-friction", "0.5 m/s on ground with friction coefficient 0.4", (0.5, 0.0, 0.0),
             env_settings={"ground_friction": 0.4}),
    Scenario("high-friction", "0.5 m/s on ground with friction coefficient 1.5", (0.5, 0.0, 0.0),
             env_settings={"ground_friction": 1.5}),
    Scenario("payload-5kg", "0.5 m/s carrying a 5 kg payload on the base", (0.5, 0.0, 0.0),
             env_settings={"added_base_mass_kg": 5.0}),
    # 8 N·s changes the robot's velocity by ~0.3 m/s; at 15 N·s every built-in gait fell in every episode.
    Scenario("push-8ns", "0.5 m/s with an 8 N·s horizontal push every 4 s (random direction)", (0.5, 0.0, 0.0),
             env_settings={"push_impulse_ns": 8.0, "push_interval_s": 4.0}),
    Scenario("randomized", "0.5 m/s with domain randomization (friction, payload, centre of mass, motors, gains, "
             "latency, observation noise)", (0.5, 0.0, 0.0), env_settings={"domain_randomization": True}),
    Scenario("rough-1", "0.5 m/s over rough ground, 2 cm peak-to-peak (terrain rough:1)", (0.5, 0.0, 0.0),
             env_settings={"terrain": "rough:1"}),
    Scenario("slope-5deg", "0.5 m/s over 5 degree ramps up and down (terrain slope:1)", (0.5, 0.0, 0.0),
             env_settings={"terrain": "slope:1"}),
    Scenario("stairs-4cm", "0.5 m/s up and down 4 cm steps (terrain stairs:1)", (0.5, 0.0, 0.0),
             env_settings={"terrain": "stairs:1"}),
)

SCENARIOS: Mapping[str, Scenario] = MappingProxyType({s.name: s for s in _ALL})
#: What ``quadgait bench`` runs without ``--scenario``.
DEFAULT_SUITE: tuple[str, ...] = tuple(s.name for s in _ALL)


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; ``ValueError`` listing the valid names otherwise."""
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; valid scenarios: {', '.join(SCENARIOS)}")
    return SCENARIOS[name]
