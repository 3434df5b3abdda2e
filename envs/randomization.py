"""Domain randomization and terrain curriculum (pure numpy; the env applies the samples).

Every quantity is drawn at reset from the env's seeded generator, uniformly in the documented range, and only when
the env's ``domain_randomization`` setting is on (it is off by default). Ranges (:class:`RandomizationRanges`):

====================  =================  =============================================================
quantity              default range      applied as
====================  =================  =============================================================
ground friction       0.5 .. 1.25        PyBullet lateral friction of the ground
payload               0 .. 3 kg          mass added to the base link
centre-of-mass shift  ±0.03 m (x, y)     the payload sits this far from the base origin (a fixed point
                                         mass, so the whole robot's centre of mass moves)
motor strength        0.8 .. 1.1         factor on every joint's torque limit
PD gains              0.85 .. 1.15       factors on kp and on kd (drawn separately)
action latency        0 .. 2 steps       actions reach the motors this many control steps late
observation noise     0.0 .. 0.02        std of Gaussian noise added to the observation (×1 for angles,
                                         ×10 for the joint and base velocity entries)
====================  =================  =============================================================

Random pushes are the separate ``push_impulse_ns`` / ``push_interval_s`` settings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class RandomizationRanges:
    friction: tuple[float, float] = (0.5, 1.25)
    payload_kg: tuple[float, float] = (0.0, 3.0)
    com_shift_m: float = 0.03
    motor_strength: tuple[float, float] = (0.8, 1.1)
    gain_scale: tuple[float, float] = (0.85, 1.15)
    latency_steps: tuple[int, int] = (0, 2)
    observation_noise: tuple[float, float] = (0.0, 0.02)


@dataclass(frozen=True)
class RandomizationSample:
    """One episode's draw (units: friction coefficient, kg, m, factors, control steps, noise std)."""

    friction: float
    payload_kg: float
    com_shift_m: tuple[float, float]
    motor_strength: float
    kp_scale: float
    kd_scale: float
    latency_steps: int
    observation_noise: float

    def to_dict(self) -> dict:
        return asdict(self)


def sample(rng: np.random.Generator, ranges: RandomizationRanges = RandomizationRanges()) -> RandomizationSample:
    u = rng.uniform
    return RandomizationSample(
        friction=float(u(*ranges.friction)),
        payload_kg=float(u(*ranges.payload_kg)),
        com_shift_m=(float(u(-ranges.com_shift_m, ranges.com_shift_m)),
                     float(u(-ranges.com_shift_m, ranges.com_shift_m))),
        motor_strength=float(u(*ranges.motor_strength)),
        kp_scale=float(u(*ranges.gain_scale)),
        kd_scale=float(u(*ranges.gain_scale)),
        latency_steps=int(rng.integers(ranges.latency_steps[0], ranges.latency_steps[1] + 1)),
        observation_noise=float(u(*ranges.observation_noise)),
    )


@dataclass
class TerrainCurriculum:
    """Level up when the robot walks far enough, down when it falls short (legged_gym's terrain curriculum).

    After an episode that covered ``distance_m`` when ``expected_m`` was commanded: level + 1 if
    ``distance_m >= up_fraction · expected_m``, level − 1 if ``distance_m < down_fraction · expected_m``.
    """

    level: int = 0
    max_level: int = 9
    up_fraction: float = 0.8
    down_fraction: float = 0.4

    def update(self, distance_m: float, expected_m: float) -> int:
        if expected_m > 0:
            if distance_m >= self.up_fraction * expected_m:
                self.level = min(self.max_level, self.level + 1)
            elif distance_m < self.down_fraction * expected_m:
                self.level = max(0, self.level - 1)
        return self.level
