"""The body wrench a model-based controller asks its stance feet for (pure numpy).

Feed-forward from the gait's force plan plus feedback around the plan's reference motion, on the single rigid
body of :mod:`envs.gaits.rigid_body`. Gains are accelerations per unit error (1/s², 1/s, 1/s³), so they do not
depend on the robot's size; the wrench is ``(m·(a + g), I·α + ω × I·ω)`` in the world frame.

* **Command**: the commanded (vx, vy, yaw rate) in the heading frame, rate-limited; the heading reference
  integrates the commanded yaw rate and is dragged along when the error grows past a bound (no wind-up after a
  push).
* **Horizontal**: velocity feedback with a capped integral (the single body does not see the legs' drag); while
  standing, also position feedback holding the centre of mass over the feet.
* **Vertical**: the plan's reference height offset (hops) above the ground plane the feet have stood on, PD plus
  an integral that absorbs an unknown payload.
* **Attitude**: roll and pitch follow the ground plane's slope (``slope_gain``) plus the plan's reference pitching
  and rolling; yaw follows the heading reference. PD in the heading frame, with a small roll and pitch integral.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from envs.gaits.force_plan import PlanReference
from envs.gaits.rigid_body import RigidBodyModel
from envs.robots.description import GRAVITY_MPS2


@dataclass(frozen=True)
class BodyFeedbackGains:
    """Gains of :class:`BodyFeedback`.

    Attributes:
        max_acceleration_mps2: rate limit on the commanded horizontal velocity, m/s².
        max_yaw_acceleration_radps2: rate limit on the commanded yaw rate, rad/s².
        height_kp, height_kd, height_ki: height feedback, 1/s², 1/s, 1/s³.
        velocity_kd, velocity_ki: horizontal velocity feedback, 1/s and 1/s² (the integral is capped at 1 m/s²).
        standing_position_kp: while standing, feedback holding the centre of mass over the feet, 1/s².
        attitude_kp, attitude_kd: roll, pitch, yaw feedback (heading frame), 1/s² and 1/s.
        attitude_ki: roll and pitch integral feedback, 1/s³ (absorbs centre-of-mass offsets the lumped model
            does not see, e.g. splayed legs).
        max_heading_error_rad: the heading reference is dragged along when the error exceeds this, rad.
        slope_gain: fraction of the estimated ground slope the body's roll and pitch follow.
        turn_feedforward: add the centripetal acceleration a turn needs, ``ω_cmd × v_des``, to the horizontal force.
            Without it the velocity feedback alone turns the velocity vector, which lags the heading by about
            ``ω v / velocity_kd`` (0.1 m/s at 0.7 m/s and 0.7 rad/s); with it, the velocity integral is also kept
            in the heading frame, where a steady turn's error stays put. Off in the ``mpc-*`` presets, whose published
            numbers were measured without it; on in ``LaikagoSteerPrior-v0``'s prior.
    """

    max_acceleration_mps2: float = 1.5
    max_yaw_acceleration_radps2: float = 2.0
    height_kp: float = 100.0
    height_kd: float = 20.0
    height_ki: float = 50.0
    velocity_kd: float = 5.0
    velocity_ki: float = 2.0
    standing_position_kp: float = 30.0
    attitude_kp: tuple[float, float, float] = (150.0, 150.0, 60.0)
    attitude_kd: tuple[float, float, float] = (25.0, 25.0, 15.0)
    attitude_ki: float = 300.0
    max_heading_error_rad: float = 0.3
    slope_gain: float = 1.0
    turn_feedforward: bool = False


def _rot_z(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _rpy_matrix(roll: float, pitch: float, yaw: float) -> np.ndarray:
    cr, sr, cp, sp = math.cos(roll), math.sin(roll), math.cos(pitch), math.sin(pitch)
    return _rot_z(yaw) @ np.array([[cp, sp * sr, sp * cr], [0.0, cr, -sr], [-sp, cp * sr, cp * cr]])


class BodyFeedback:
    """Command filter and body-wrench feedback (see the module docstring).

    Args:
        body: the lumped rigid-body model.
        gains: feedback gains.
        com_height_m: nominal centre-of-mass height above the plane of the foot centres, m.
        com_over_feet_xy: (2,) standing centre of mass minus the nominal foot centroid, body frame, m.
    """

    def __init__(self, body: RigidBodyModel, gains: BodyFeedbackGains, com_height_m: float,
                 com_over_feet_xy: np.ndarray) -> None:
        self.body, self.gains = body, gains
        self.com_height_m = float(com_height_m)
        self._com_over_feet_xy = np.asarray(com_over_feet_xy, dtype=float)
        self._kp, self._kd = np.asarray(gains.attitude_kp), np.asarray(gains.attitude_kd)
        self._rate_limits = np.array([gains.max_acceleration_mps2, gains.max_acceleration_mps2,
                                      gains.max_yaw_acceleration_radps2])
        self.reset(0.0)

    def reset(self, yaw_rad: float) -> None:
        self.command = np.zeros(3)  # rate-limited (vx m/s, vy m/s, yaw rate rad/s), heading frame
        self.yaw_ref = float(yaw_rad)
        self._height_integral = 0.0
        self._velocity_integral = np.zeros(2)  # world xy (heading frame with turn_feedforward), m
        self._attitude_integral = np.zeros(2)  # roll, pitch, rad·s

    @property
    def load_factor(self) -> float:
        """Estimated weight over the model's weight (≥ 1): what the height integral adds to gravity, e.g. an unknown
        payload."""
        return 1.0 + max(0.0, self.gains.height_ki * self._height_integral) / GRAVITY_MPS2

    def update_command(self, target: np.ndarray, yaw_rad: float, dt_s: float) -> np.ndarray:
        """Step the rate-limited command towards ``target`` and the heading reference; returns the commanded
        horizontal velocity in the world frame (2,), m/s."""
        limits = self._rate_limits * dt_s
        self.command += np.minimum(np.maximum(target - self.command, -limits), limits)
        self.yaw_ref += self.command[2] * dt_s
        error = (self.yaw_ref - yaw_rad + math.pi) % (2 * math.pi) - math.pi
        bound = self.gains.max_heading_error_rad
        if abs(error) > bound:
            self.yaw_ref = yaw_rad + math.copysign(bound, error)
        c, s = math.cos(yaw_rad), math.sin(yaw_rad)
        vx, vy = self.command[0], self.command[1]
        return np.array([c * vx - s * vy, s * vx + c * vy])

    def wrench(self, rot: np.ndarray, yaw_rad: float, com: np.ndarray, vel: np.ndarray, omega: np.ndarray,
               v_des: np.ndarray, plane: np.ndarray, ref: PlanReference | None, ref_scale: float,
               feet_world: np.ndarray | None, loaded: bool, dt_s: float) -> np.ndarray:
        """Desired (force N, torque about the centre of mass N·m), world frame, shape (6,).

        Args:
            rot: body → world rotation. yaw_rad: heading, rad. com: centre of mass, world, m.
            vel, omega: base linear (m/s) and angular (rad/s) velocity, world.
            v_des: commanded horizontal velocity, world (2,), m/s (from :meth:`update_command`).
            plane: ground plane (a, b, c), z = a + b·x + c·y, of the foot centres.
            ref: the plan's reference motion now (None while standing), scaled by ``ref_scale`` (start-up).
            feet_world: (4, 3) foot positions while standing (the centre of mass is held over them), else None.
            loaded: some foot bears load (the integrals only run then).
        """
        g = self.gains
        m = self.body.mass_kg
        c, s = math.cos(yaw_rad), math.sin(yaw_rad)
        heading = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        a, b, cc = plane
        # Slope of the ground along and across the heading → body roll and pitch to follow it.
        slope_x, slope_y = b * c + cc * s, -b * s + cc * c
        roll_des, pitch_des = g.slope_gain * math.atan(slope_y), -g.slope_gain * math.atan(slope_x)
        ref_h = ref_vz = ref_az = 0.0
        ref_rp: tuple[float, float] | np.ndarray = (0.0, 0.0)
        ref_rp_rate: tuple[float, float] | np.ndarray = (0.0, 0.0)
        ref_rp_acc: tuple[float, float] | np.ndarray = (0.0, 0.0)
        if ref is not None:
            k = ref_scale
            ref_h, ref_vz, ref_az = k * ref.height_m, k * ref.vertical_velocity_mps, k * ref.vertical_acceleration_mps2
            ref_rp = k * ref.roll_pitch_rad
            ref_rp_rate, ref_rp_acc = k * ref.roll_pitch_rate_radps, k * ref.roll_pitch_acceleration_radps2

        height_error = a + b * com[0] + cc * com[1] + self.com_height_m + ref_h - com[2]
        v_error = v_des - vel[:2]
        if g.turn_feedforward:  # the integral lives in the heading frame, where a steady turn's error is constant
            v_error_int = np.array([c * v_error[0] + s * v_error[1], -s * v_error[0] + c * v_error[1]])
        else:
            v_error_int = v_error
        if loaded:
            self._height_integral = min(max(self._height_integral + height_error * dt_s, -0.05), 0.05)
            cap = 1.0 / max(g.velocity_ki, 1e-9)
            self._velocity_integral = np.minimum(np.maximum(self._velocity_integral + v_error_int * dt_s, -cap),
                                                 cap)
        force = np.empty(3)
        integral = self._velocity_integral
        if g.turn_feedforward:
            integral = np.array([c * integral[0] - s * integral[1], s * integral[0] + c * integral[1]])
        force[:2] = g.velocity_kd * v_error + g.velocity_ki * integral
        if g.turn_feedforward:  # d/dt of a velocity turning at the commanded yaw rate
            force[0] -= self.command[2] * v_des[1]
            force[1] += self.command[2] * v_des[0]
        if feet_world is not None:  # standing: hold the centre of mass over the feet (velocity alone drifts)
            over_feet = feet_world[:, :2].mean(axis=0) + heading[:2, :2] @ self._com_over_feet_xy
            force[:2] += g.standing_position_kp * (over_feet - com[:2])
        force[2] = (GRAVITY_MPS2 + ref_az + g.height_kp * height_error + g.height_kd * (ref_vz - vel[2])
                    + g.height_ki * self._height_integral)
        force *= m

        e = _rpy_matrix(roll_des + ref_rp[0], pitch_des + ref_rp[1], self.yaw_ref) @ rot.T
        error_h = heading.T @ (0.5 * np.array([e[2, 1] - e[1, 2], e[0, 2] - e[2, 0], e[1, 0] - e[0, 1]]))
        if loaded:
            self._attitude_integral = np.minimum(np.maximum(self._attitude_integral + error_h[:2] * dt_s, -0.02),
                                                 0.02)
        rate_des = np.array([ref_rp_rate[0], ref_rp_rate[1], self.command[2]])
        ang_acc_h = self._kp * error_h + self._kd * (rate_des - heading.T @ omega)
        ang_acc_h[0] += ref_rp_acc[0] + g.attitude_ki * self._attitude_integral[0]
        ang_acc_h[1] += ref_rp_acc[1] + g.attitude_ki * self._attitude_integral[1]
        inertia_w = rot @ self.body.inertia_body_kgm2 @ rot.T
        spin = inertia_w @ omega
        gyroscopic = np.array([omega[1] * spin[2] - omega[2] * spin[1], omega[2] * spin[0] - omega[0] * spin[2],
                               omega[0] * spin[1] - omega[1] * spin[0]])
        return np.concatenate([force, inertia_w @ (heading @ ang_acc_h) + gyroscopic])
