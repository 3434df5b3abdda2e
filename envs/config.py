"""Settings of the walking environments: one frozen dataclass, validated once, built from keyword arguments.

Every field is a keyword argument of ``gymnasium.make("quadgait/LaikagoWalk-v0", ...)``. An unknown keyword or an
invalid value raises ``ValueError`` naming it and listing what is valid.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from envs.robots import DEFAULT_ROBOT, get_robot
from envs.sim import MOTOR_CONTROL_MODES
from envs.tasks.walk import check_reward_overrides


@dataclass(frozen=True)
class WalkSettings:
    """Settings of ``LaikagoWalk-v0``.

    Attributes:
        robot: robot description name (``"laikago_fast"``: primitive collisions, default; ``"laikago"``: stock).
        physics_hz: physics rate, Hz; must be a whole multiple of ``control_hz``.
        control_hz: policy rate, Hz.
        solver_iterations: PyBullet solver iterations per physics step.
        motor_control: ``"pd"`` (action → joint position targets) or ``"torque"`` (action → joint torques).
        action_scale: rad of joint-target offset from the standing pose per unit of action (``"pd"`` mode).
        target_speed_mps: commanded forward speed along world +x, m/s.
        tracking_sigma_mps: width of the speed-tracking reward kernel exp(−(v − v*)²/σ²), m/s. The default 0.25 m/s
            gives almost no gradient more than ~0.5 m/s from the target, so fast targets want a wider kernel.
        episode_seconds: episode length before truncation, s.
        init_joint_noise_rad: half-width of the uniform noise added to the standing pose at reset, rad.
        init_base_velocity_noise_mps: half-width of the uniform noise on the initial base velocity, m/s.
        reward_weights: overrides of the task's default reward weights, by term name (0 switches a term off);
            names are checked against the env's reward terms when the env is built.
        ground_friction: lateral friction coefficient of the ground.
        added_base_mass_kg: payload on the base, kg (0 = none).
        push_impulse_ns: magnitude of periodic horizontal pushes on the base, N·s (0 = no pushes).
        push_interval_s: time between pushes, s; the first comes one interval after reset. Each push's direction
            is drawn uniformly from the env's seeded generator.
        terrain: ``TYPE:LEVEL`` ground, e.g. ``"flat"``, ``"rough:1"``, ``"slope:3"``, ``"stairs:2"``
            (:mod:`envs.terrain` documents what each level means physically).
        terrain_seed: seed of the terrain's random heights (fixed for the env's lifetime).
        terrain_curriculum: after each episode move the terrain level up (walked ≥ 80% of the commanded distance)
            or down (< 40%); the terrain type comes from ``terrain`` (``"flat"`` means rough), starting at its level.
        domain_randomization: draw friction, payload, centre of mass, motor strength, PD gains, action latency and
            observation noise at every reset (:mod:`envs.randomization` documents the ranges).
        height_scan: append 45 terrain-height samples around the body to the observation.
        self_collision: collide the robot's links with each other.
        render_width, render_height: ``rgb_array`` frame size, pixels.
    """

    robot: str = DEFAULT_ROBOT
    physics_hz: float = 250.0
    control_hz: float = 50.0
    solver_iterations: int = 20
    motor_control: str = "pd"
    action_scale: float = 0.6
    target_speed_mps: float = 0.5
    tracking_sigma_mps: float = 0.25
    episode_seconds: float = 20.0
    init_joint_noise_rad: float = 0.02
    init_base_velocity_noise_mps: float = 0.0
    reward_weights: Mapping[str, float] = field(default_factory=dict)
    ground_friction: float = 1.0
    added_base_mass_kg: float = 0.0
    push_impulse_ns: float = 0.0
    push_interval_s: float = 3.0
    terrain: str = "flat"
    terrain_seed: int = 0
    terrain_curriculum: bool = False
    domain_randomization: bool = False
    height_scan: bool = False
    self_collision: bool = False
    render_width: int = 480
    render_height: int = 360

    def __post_init__(self) -> None:
        get_robot(self.robot)
        _check_range("physics_hz", self.physics_hz, 50.0, 2000.0)
        _check_range("control_hz", self.control_hz, 1.0, 500.0)
        ratio = self.physics_hz / self.control_hz
        if abs(ratio - round(ratio)) > 1e-9 or round(ratio) < 1:
            raise ValueError(f"physics_hz ({self.physics_hz}) must be a whole multiple of control_hz "
                             f"({self.control_hz}); e.g. physics_hz=250, control_hz=50")
        _check_int("solver_iterations", self.solver_iterations, 1, 500)
        if self.motor_control not in MOTOR_CONTROL_MODES:
            raise ValueError(f"unknown motor_control {self.motor_control!r}; valid: {', '.join(MOTOR_CONTROL_MODES)}")
        _check_range("action_scale", self.action_scale, 0.0, 3.0, low_inclusive=False)
        _check_range("target_speed_mps", self.target_speed_mps, -3.0, 3.0)
        _check_range("tracking_sigma_mps", self.tracking_sigma_mps, 0.0, 5.0, low_inclusive=False)
        _check_range("episode_seconds", self.episode_seconds, 0.0, 3600.0, low_inclusive=False)
        _check_range("init_joint_noise_rad", self.init_joint_noise_rad, 0.0, 0.5)
        _check_range("init_base_velocity_noise_mps", self.init_base_velocity_noise_mps, 0.0, 2.0)
        _check_range("ground_friction", self.ground_friction, 0.0, 5.0, low_inclusive=False)
        _check_range("added_base_mass_kg", self.added_base_mass_kg, 0.0, 50.0)
        _check_range("push_impulse_ns", self.push_impulse_ns, 0.0, 200.0)
        _check_range("push_interval_s", self.push_interval_s, 0.0, 3600.0, low_inclusive=False)
        from envs.terrain import TerrainSpec

        object.__setattr__(self, "terrain", TerrainSpec.parse(self.terrain).name)
        _check_int("terrain_seed", self.terrain_seed, 0, 2**31 - 1)
        for flag in ("self_collision", "terrain_curriculum", "domain_randomization", "height_scan"):
            if not isinstance(getattr(self, flag), bool):
                raise ValueError(f"{flag} must be True or False, got {getattr(self, flag)!r}")
        _check_int("render_width", self.render_width, 16, 4096)
        _check_int("render_height", self.render_height, 16, 4096)
        object.__setattr__(self, "reward_weights", MappingProxyType(check_reward_overrides(self.reward_weights)))
        for name in ("physics_hz", "control_hz", "action_scale", "target_speed_mps", "tracking_sigma_mps",
                     "episode_seconds",
                     "init_joint_noise_rad", "init_base_velocity_noise_mps", "ground_friction", "added_base_mass_kg",
                     "push_impulse_ns", "push_interval_s"):
            object.__setattr__(self, name, float(getattr(self, name)))

    @property
    def substeps(self) -> int:
        """Physics steps per control step."""
        return int(round(self.physics_hz / self.control_hz))

    @property
    def max_episode_steps(self) -> int:
        return int(round(self.episode_seconds * self.control_hz))

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> "WalkSettings":
        """Build settings; unknown names raise ``ValueError`` listing the valid ones."""
        unknown = sorted(set(kwargs) - set(cls.field_names()))
        if unknown:
            raise ValueError(f"unknown setting(s) {', '.join(map(repr, unknown))}; valid settings: "
                             f"{', '.join(cls.field_names())}")
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        d = {name: getattr(self, name) for name in self.field_names()}
        d["reward_weights"] = dict(self.reward_weights)
        return d


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_range(name: str, value: Any, low: float, high: float, low_inclusive: bool = True) -> None:
    if not _is_number(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    too_low = value < low if low_inclusive else value <= low
    if too_low or value > high:
        bracket = "[" if low_inclusive else "("
        raise ValueError(f"{name}={value!r} is out of range; valid: {bracket}{low}, {high}]")


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")


DEFAULTS: Mapping[str, Any] = MappingProxyType(WalkSettings().to_dict())
