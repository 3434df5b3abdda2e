"""The world on its own, with a stand-in simulation: push timing, action latency, the terrain curriculum, the
height-scan block and the privileged info (the env tests exercise it through whole episodes)."""

from __future__ import annotations

import numpy as np
import pytest

from envs.config import EnvSettings
from envs.world import SCAN_POINTS, World


class FakeSim:
    """What World touches of a Simulation, recorded."""

    def __init__(self) -> None:
        self.time_s = 0.0
        self.pushes: list[np.ndarray] = []
        self.friction: float | None = None
        self.payload: tuple[float, np.ndarray] | None = None
        self.payload_mass_kg = 0.0
        self.terrain = type("Terrain", (), {"name": "flat"})()

    def push_base(self, impulse: np.ndarray) -> None:
        self.pushes.append(impulse)

    def set_ground_friction(self, friction: float) -> None:
        self.friction = friction

    def set_motor_scales(self, strength, kp, kd) -> None:
        pass

    def set_payload(self, mass_kg: float, offset_m: np.ndarray) -> None:
        self.payload = (mass_kg, offset_m)


def test_pushes_come_every_interval_with_the_set_impulse():
    world, sim, rng = World(EnvSettings(push_impulse_ns=8.0, push_interval_s=1.0)), FakeSim(), np.random.default_rng(0)
    world.reset(sim, rng)
    times = []
    for k in range(1, 151):  # 3 s at 50 Hz
        sim.time_s = k * 0.02
        if world.push(sim, rng) is not None:
            times.append(round(sim.time_s, 2))
    assert times == [1.0, 2.0, 3.0]
    assert all(np.linalg.norm(p) == pytest.approx(8.0) and p[2] == 0.0 for p in sim.pushes)


def test_no_pushes_without_an_impulse():
    world, sim, rng = World(EnvSettings()), FakeSim(), np.random.default_rng(0)
    world.reset(sim, rng)
    sim.time_s = 100.0
    assert world.push(sim, rng) is None and sim.pushes == []


def test_latency_delays_actions_by_whole_steps_and_starts_from_zero():
    world = World(EnvSettings())
    action = np.ones(3)
    assert world.delay(action) is action  # no randomization: no latency
    world.sample = type("Sample", (), {"latency_steps": 2})()
    out = [world.delay(np.full(3, float(k))) for k in range(1, 5)]
    np.testing.assert_array_equal(np.array(out)[:, 0], [0.0, 0.0, 1.0, 2.0])


def test_the_curriculum_moves_the_terrain_level_by_the_distance_walked():
    world = World(EnvSettings(terrain="rough:3", terrain_curriculum=True))
    assert world.terrain == "rough:3"
    world.end_episode(travelled_m=9.0, commanded_m=10.0)  # 90% of the commanded distance: harder
    assert world.terrain == "rough:4"
    world.end_episode(travelled_m=1.0, commanded_m=10.0)  # 10%: easier
    assert world.terrain == "rough:3"
    fixed = World(EnvSettings(terrain="rough:3"))
    fixed.end_episode(9.0, 10.0)
    assert fixed.terrain == "rough:3"


def test_randomization_sets_friction_and_payload_and_is_reported():
    world, sim = World(EnvSettings(domain_randomization=True)), FakeSim()
    world.reset(sim, np.random.default_rng(3))
    world.after_placement(sim)
    assert world.sample is not None and sim.friction == world.sample.friction
    assert sim.payload is not None and sim.payload[0] == world.sample.payload_kg
    info = world.privileged(sim)
    assert info["ground_friction"] == world.sample.friction and "randomization" in info


def test_height_scan_is_an_observation_block_only_when_asked():
    assert World(EnvSettings()).observation_features() == ()
    assert World(EnvSettings(height_scan=True)).observation_features() == (("height_scan", SCAN_POINTS, 1.0),)
