"""Settings: frozen dataclasses validated once, built from the keyword arguments of ``gymnasium.make``.

An env is composed of a task, an action map and a world (see :mod:`envs.env`); each part declares its own settings
dataclass, and :class:`EnvSettings` holds what every env shares (robot, physics, episode, world options,
rendering). :func:`split_settings` hands each keyword to the part that declares it; an unknown keyword or an invalid
value raises ``ValueError`` naming it and listing what is valid.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from envs.robots import DEFAULT_ROBOT, get_robot

#: The physics engines (:mod:`envs.engine` builds them); here, with the settings that name one, so that checking a
#: setting does not load an engine.
ENGINES: tuple[str, ...] = ("pybullet", "mujoco")


def check_engine(name: object) -> str:
    """``name`` if it is a known engine; otherwise ``ValueError`` listing them."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; valid engines: {', '.join(ENGINES)}")
    return str(name)


@dataclass(frozen=True)
class EnvSettings:
    """Settings every quadgait env shares. (The episode length is ``max_episode_steps`` of ``gymnasium.make``:
    1000 control steps by default, 20 s at the default 50 Hz.)

    Attributes:
        robot: robot description name (``"laikago_fast"``: primitive collisions, default; ``"laikago"``: stock).
        physics_hz: physics rate, Hz; must be a whole multiple of ``control_hz``.
        control_hz: policy rate, Hz.
        solver_iterations: PyBullet solver iterations per physics step.
        init_joint_noise_rad: half-width of the uniform noise added to the standing pose at reset, rad.
        init_base_velocity_noise_mps: half-width of the uniform noise on the initial base velocity, m/s.
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
        engine: the physics engine that steps the robot, ``"pybullet"`` (default) or ``"mujoco"`` (the twin of
            :mod:`envs.mujoco_sim`; needs ``pip install quadgait[mujoco]``). MuJoCo runs flat ground only, without
            height scan, terrain curriculum, domain randomization or self collision; those are refused.
    """

    robot: str = DEFAULT_ROBOT
    physics_hz: float = 250.0
    control_hz: float = 50.0
    solver_iterations: int = 20
    init_joint_noise_rad: float = 0.02
    init_base_velocity_noise_mps: float = 0.0
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
    engine: str = "pybullet"

    def __post_init__(self) -> None:
        get_robot(self.robot)
        check_range(self, "physics_hz", 50.0, 2000.0)
        check_range(self, "control_hz", 1.0, 500.0)
        ratio = self.physics_hz / self.control_hz
        if abs(ratio - round(ratio)) > 1e-9 or round(ratio) < 1:
            raise ValueError(f"physics_hz ({self.physics_hz}) must be a whole multiple of control_hz "
                             f"({self.control_hz}); e.g. physics_hz=250, control_hz=50")
        check_int(self, "solver_iterations", 1, 500)
        check_range(self, "init_joint_noise_rad", 0.0, 0.5)
        check_range(self, "init_base_velocity_noise_mps", 0.0, 2.0)
        check_range(self, "ground_friction", 0.0, 5.0, low_inclusive=False)
        check_range(self, "added_base_mass_kg", 0.0, 50.0)
        check_range(self, "push_impulse_ns", 0.0, 200.0)
        check_range(self, "push_interval_s", 0.0, 3600.0, low_inclusive=False)
        from envs.terrain import TerrainSpec

        object.__setattr__(self, "terrain", TerrainSpec.parse(self.terrain).name)
        check_int(self, "terrain_seed", 0, 2**31 - 1)
        for flag in ("self_collision", "terrain_curriculum", "domain_randomization", "height_scan"):
            check_bool(self, flag)
        check_int(self, "render_width", 16, 4096)
        check_int(self, "render_height", 16, 4096)
        check_engine(self.engine)
        if self.engine == "mujoco":
            unsupported = [name for name, on in (("terrain=" + repr(self.terrain), self.terrain != "flat"),
                                                 ("height_scan", self.height_scan),
                                                 ("terrain_curriculum", self.terrain_curriculum),
                                                 ("domain_randomization", self.domain_randomization),
                                                 ("self_collision", self.self_collision)) if on]
            if unsupported:
                raise ValueError(f"engine='mujoco' does not support {', '.join(unsupported)}; it supports flat "
                                 "terrain, pushes, added_base_mass_kg and ground_friction (use engine='pybullet')")

    @property
    def substeps(self) -> int:
        """Physics steps per control step."""
        return int(round(self.physics_hz / self.control_hz))

    @property
    def control_dt_s(self) -> float:
        return 1.0 / self.control_hz


#: Settings that describe the conditions around the robot rather than the robot, its task or its observation. A
#: policy trained under some conditions (e.g. with domain randomization and pushes) is evaluated under the
#: conditions a scenario or command line asks for, so these are not carried over from its training settings.
CONDITION_SETTINGS: tuple[str, ...] = ("ground_friction", "added_base_mass_kg", "push_impulse_ns", "push_interval_s",
                                       "terrain", "terrain_seed", "terrain_curriculum", "domain_randomization",
                                       "init_joint_noise_rad", "init_base_velocity_noise_mps", "engine")


# ---------------------------------------------------------------------------- building settings from kwargs
def field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def split_settings(kwargs: Mapping[str, Any], classes: Mapping[str, type]) -> dict[str, Any]:
    """Build one settings object per part from flat keyword arguments.

    Args:
        kwargs: the keyword arguments given to the env.
        classes: part name -> settings dataclass (field names must not overlap between parts).

    Returns:
        part name -> settings instance.

    Raises:
        ValueError: a keyword no part declares (the message lists every valid one), or an invalid value.
    """
    owners = {name: part for part, cls in classes.items() for name in field_names(cls)}
    unknown = sorted(set(kwargs) - set(owners))
    if unknown:
        raise ValueError(f"unknown setting(s) {', '.join(map(repr, unknown))}; valid settings: "
                         f"{', '.join(owners)}")
    per_part: dict[str, dict[str, Any]] = {part: {} for part in classes}
    for name, value in kwargs.items():
        per_part[owners[name]][name] = value
    return {part: cls(**per_part[part]) for part, cls in classes.items()}


def settings_dict(settings: Any) -> dict[str, Any]:
    """A settings dataclass as a plain dict (mappings copied to dicts, tuples to lists), e.g. for YAML."""
    out = {}
    for name in field_names(type(settings)):
        value = getattr(settings, name)
        if isinstance(value, Mapping):
            value = dict(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out


# ---------------------------------------------------------------------------- validation helpers
def is_number(value: Any) -> bool:
    """A finite real number (Python or NumPy scalar), not a bool."""
    return (isinstance(value, numbers.Real) and not isinstance(value, (bool, type(None)))
            and not _is_numpy_bool(value) and math.isfinite(float(value)))


def _is_numpy_bool(value: Any) -> bool:
    return type(value).__name__ == "bool_"


def check_range(obj: Any, name: str, low: float, high: float, low_inclusive: bool = True) -> None:
    """Check ``obj.name`` is a finite number in the range and store it as a Python float."""
    value = getattr(obj, name)
    if not is_number(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    value = float(value)
    too_low = value < low if low_inclusive else value <= low
    if too_low or value > high:
        bracket = "[" if low_inclusive else "("
        raise ValueError(f"{name}={value!r} is out of range; valid: {bracket}{low}, {high}]")
    object.__setattr__(obj, name, value)


def check_int(obj: Any, name: str, low: int, high: int) -> None:
    """Check ``obj.name`` is an integer (Python or NumPy) in [low, high] and store it as a Python int."""
    value = getattr(obj, name)
    if isinstance(value, bool) or _is_numpy_bool(value) or not isinstance(value, numbers.Integral) \
            or not low <= int(value) <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    object.__setattr__(obj, name, int(value))


def check_bool(obj: Any, name: str) -> None:
    value = getattr(obj, name)
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")


def check_choice(obj: Any, name: str, choices: tuple[str, ...]) -> None:
    value = getattr(obj, name)
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; valid: {', '.join(choices)}")


def check_interval(obj: Any, name: str, low: float, high: float) -> None:
    """Check ``obj.name`` is a (lo, hi) pair with low <= lo <= hi <= high; store it as a tuple of floats."""
    value = getattr(obj, name)
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high), got {value!r}") from None
    if not (is_number(lo) and is_number(hi)) or not low <= float(lo) <= float(hi) <= high:
        raise ValueError(f"{name} must be a pair (low, high) with {low} <= low <= high <= {high}, got {value!r}")
    object.__setattr__(obj, name, (float(lo), float(hi)))


def frozen_weights(obj: Any, name: str = "reward_weights") -> None:
    """Validate the shape of reward-weight overrides (names are checked by the task) and freeze them."""
    object.__setattr__(obj, name, MappingProxyType(check_reward_overrides(getattr(obj, name))))


def check_reward_overrides(weights: Mapping[str, float] | None) -> dict[str, float]:
    """Validate the shape of user overrides (a mapping of names to finite numbers); names are checked by the task.

    Weights are bounded to |w| <= 1e6 so that no product of a weight and a bounded term overflows.
    """
    if weights is None:
        return {}
    if not isinstance(weights, Mapping):
        raise ValueError(f"reward_weights must be a mapping of term -> weight, got {type(weights).__name__}")
    out = {}
    for name, value in weights.items():
        if not is_number(value) or abs(float(value)) > 1e6:
            raise ValueError(f"reward weight {name!r} must be a finite number with |w| <= 1e6, got {value!r}")
        out[str(name)] = float(value)
    return out
