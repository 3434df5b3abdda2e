"""The walk-forward task: observation vector, reward terms and termination rules (pure numpy).

Reward = Σ weight_name · term_name over the terms below, each computed from the robot state:

=============== ================================================= ==========================================
term            definition (per control step)                      why
=============== ================================================= ==========================================
tracking        exp(−(v_x − v*)² / σ²), v_x forward body speed      reach the target speed (max 1 at v_x = v*);
                σ = ``tracking_sigma_mps`` (0.25 m/s)
lateral_drift   −v_y²  (body lateral speed², m²/s²)                walk straight
yaw_drift       −(ω_z² + yaw²)  (yaw rate² + heading angle²)        keep heading along +x
orientation     −(g_x² + g_y²)  (projected gravity, body frame)    stay level
energy          −Σ|τ·q̇|  (W)                                       mechanical power spent
action_rate     −‖a_t − a_{t−1}‖²                                  smooth commands
alive           +1                                                 survive
=============== ================================================= ==========================================
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

import numpy as np

from envs.state import RobotState

REWARD_TERMS: tuple[str, ...] = ("tracking", "lateral_drift", "yaw_drift", "orientation", "energy",
                                 "action_rate", "alive")
DEFAULT_REWARD_WEIGHTS: Mapping[str, float] = MappingProxyType({
    "tracking": 1.0,
    "lateral_drift": 0.5,
    "yaw_drift": 0.5,
    "orientation": 1.0,
    "energy": 0.0002,
    "action_rate": 0.02,
    # The alive bonus must outweigh what an exploring policy pays in penalties (about 0.5-1.2 per step), or PPO
    # learns that ending the episode early pays (seen: episode length 52 -> 9 steps over 250k steps at alive=0.2).
    "alive": 1.0,
})
TRACKING_SIGMA_MPS = 0.25

#: Tipping limit: the episode ends when the body z axis is more than this far from vertical.
MAX_TILT_RAD = np.deg2rad(60.0)
#: State magnitudes beyond these are a physics blow-up, not motion (the robot cannot reach them).
MAX_LIN_SPEED_MPS = 30.0
MAX_ANG_SPEED_RADPS = 100.0


def check_reward_overrides(weights: Mapping[str, float] | None) -> dict[str, float]:
    """Validate the shape of user overrides (a mapping of names to finite numbers); names are checked by the env."""
    if weights is None:
        return {}
    if not isinstance(weights, Mapping):
        raise ValueError(f"reward_weights must be a mapping of term -> weight, got {type(weights).__name__}")
    out = {}
    for name, value in weights.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
            raise ValueError(f"reward weight {name!r} must be a finite number, got {value!r}")
        out[str(name)] = float(value)
    return out


def resolve_reward_weights(weights: Mapping[str, float] | None,
                           defaults: Mapping[str, float] = DEFAULT_REWARD_WEIGHTS) -> Mapping[str, float]:
    """``defaults`` overridden by ``weights``. Raises ValueError on unknown names or non-finite values."""
    merged = dict(defaults)
    for name, value in check_reward_overrides(weights).items():
        if name not in merged:
            raise ValueError(f"unknown reward term {name!r}; valid terms: {', '.join(defaults)}")
        merged[name] = value
    return MappingProxyType(merged)


def reward_terms(state: RobotState, action: np.ndarray, previous_action: np.ndarray,
                 target_speed_mps: float, tracking_sigma_mps: float = TRACKING_SIGMA_MPS) -> dict[str, float]:
    """Unweighted reward terms (see the module table; σ = ``tracking_sigma_mps``)."""
    v = state.base_lin_vel_body
    g = state.projected_gravity_body
    return {
        "tracking": float(np.exp(-((v[0] - target_speed_mps) ** 2) / tracking_sigma_mps**2)),
        "lateral_drift": float(-(v[1] ** 2)),
        "yaw_drift": float(-(state.base_ang_vel_body[2] ** 2 + state.base_rpy[2] ** 2)),
        "orientation": float(-(g[0] ** 2 + g[1] ** 2)),
        "energy": -state.mechanical_power_w,
        "action_rate": float(-np.sum((np.asarray(action) - np.asarray(previous_action)) ** 2)),
        "alive": 1.0,
    }


def weighted_terms(terms: Mapping[str, float], weights: Mapping[str, float]) -> dict[str, float]:
    """Each term times its weight; the reward is the sum of the returned values."""
    return {name: float(weights[name] * value) for name, value in terms.items()}


def failure_reason(state: RobotState) -> str | None:
    """Why the episode must end now: ``"physics"``, ``"tipped"``, ``"body_contact"`` or None."""
    lin, ang = state.base_lin_vel_world, state.base_ang_vel_world
    if (not state.is_finite() or float(lin @ lin) > MAX_LIN_SPEED_MPS**2
            or float(ang @ ang) > MAX_ANG_SPEED_RADPS**2):
        return "physics"
    if state.upright < np.cos(MAX_TILT_RAD):
        return "tipped"
    if state.body_ground_contact:
        return "body_contact"
    return None


def observation_layout(num_joints: int, action_dim: int | None = None,
                       extras: tuple[tuple[str, int], ...] = ()) -> Mapping[str, slice]:
    """Names and slices of the observation vector (sizes follow the robot's joint count and the action size).

    ``extras`` (name, size) pairs are appended at the end (e.g. gait phase features of structured action spaces).
    """
    action_dim = num_joints if action_dim is None else action_dim
    sizes = (("projected_gravity", 3), ("base_ang_vel_body", 3), ("base_lin_vel_body", 3),
             ("joint_angles_rel", num_joints), ("joint_velocities", num_joints), ("last_action", action_dim),
             ("target_speed", 1), *extras)
    layout, start = {}, 0
    for name, size in sizes:
        layout[name] = slice(start, start + size)
        start += size
    return MappingProxyType(layout)


def observation_bounds(num_joints: int, velocity_limits: np.ndarray, action_dim: int | None = None,
                       extras: tuple[tuple[str, int], ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    """Finite (low, high) bounds of the observation; observations are clipped into them. Extras lie in [-1, 1]."""
    action_dim = num_joints if action_dim is None else action_dim
    high = np.concatenate([
        np.ones(3),                        # projected gravity, unit vector
        np.full(3, 50.0),                  # rad/s
        np.full(3, 20.0),                  # m/s
        np.full(num_joints, 2 * np.pi),    # rad
        np.full(num_joints, 3.0) * np.asarray(velocity_limits),  # rad/s
        np.ones(action_dim),               # action
        np.array([5.0]),                   # m/s
        np.ones(sum(size for _, size in extras)),
    ])
    return -high, high


def build_observation(state: RobotState, standing_pose: np.ndarray, last_action: np.ndarray,
                      target_speed_mps: float, low: np.ndarray, high: np.ndarray,
                      extras: np.ndarray | None = None) -> np.ndarray:
    """Observation vector (float32) in the order of :func:`observation_layout`, clipped to its bounds."""
    parts = [state.projected_gravity_body, state.base_ang_vel_body, state.base_lin_vel_body,
             state.joint_angles - standing_pose, state.joint_velocities, last_action, [target_speed_mps]]
    if extras is not None:
        parts.append(extras)
    obs = np.nan_to_num(np.concatenate(parts), nan=0.0, posinf=0.0, neginf=0.0)
    return np.clip(obs, low, high).astype(np.float32)
