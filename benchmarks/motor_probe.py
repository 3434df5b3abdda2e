"""What PyBullet's engine-side motors do, and what they cost, against quadgait's PD law in Python (issue 14).

Usage (from the repository root)::

    python -m benchmarks.motor_probe [--repeats 5] [--constraint-motors]

Prints what it measured. The question: can the PD law (``envs/sim.py``) run inside the engine, one engine call per
control step, instead of in Python at every physics step?

1. **What PD_CONTROL computes.** ``setJointMotorControlArray(..., PD_CONTROL, targetPositions, targetVelocities,
   positionGains, velocityGains, forces)`` registers, per joint, a controller in PyBullet's ``pdControlPlugin``. Before
   every internal physics step the plugin reads the joint state and applies ``τ = kp (q* − q) + kd (q̇* − q̇)``,
   clipped to ``±force``, as a joint torque, in URDF joint coordinates; gains are N·m/rad and N·m·s/rad, so
   ``q* = direction · q*_controller + offset`` with the description's gains gives quadgait's law (``direction² = 1``)
   without its speed limit. Stepping with ``numSubSteps = 0`` reproduces the Python law (checked below).
2. **numSubSteps accumulates.** PyBullet clears joint torques once per ``stepSimulation`` call, not per internal
   step, so with ``numSubSteps = N`` the k-th internal step applies the *sum* of the plugin's first k torques
   (checked below against a Python reproduction of that sum). One engine call per control step is therefore not
   the PD law; the plugin needs one ``stepSimulation`` per physics step, like the Python law.
3. **It reports no torque**: ``getJointStates`` gives 0 applied torque for PD_CONTROL joints.
4. **It costs more than the Python law**: every PD_CONTROL command re-synchronises the plugin's view of all bodies
   once per joint, and every physics step with the plugin active runs 24 internal API round trips (a state read and
   a torque command per joint). Timed below (CPU time, one core, best of ``repeats``).
5. ``--constraint-motors``: PyBullet's cheap engine motors (POSITION_CONTROL) are velocity constraints, not torque
   laws: within the torque limit they reach a target velocity whatever the load. Mapping kp, kd onto them (through
   each joint's inertia, ``kp' = kp·dt²/I``, ``kd' = kd·dt/I``) changes the scripted trot's distance and cost of
   transport by more than the 5% an alternative motor model may differ by (runs two 20 s trots per setting).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import envs  # noqa: F401
from envs._pybullet import pybullet as p
from envs.robots import get_robot
from envs.sim import PhysicsSettings, Simulation

ROBOT = get_robot("laikago_fast")
SUBSTEPS = 5


def new_sim(speed_limit: bool = True, seed: int = 0) -> Simulation:
    """A fresh simulation, joints near the standing pose and moving (``seed`` picks the state)."""
    sim = Simulation(ROBOT, PhysicsSettings(physics_hz=250.0, visual_shapes=False))
    if not speed_limit:  # PD_CONTROL has no speed limit; compare like with like
        sim._qd_max = np.full(12, np.inf)
        sim._motor_param_cache = None
    rng = np.random.default_rng(seed)
    sim.reset(np.array([0.0, 0.0, ROBOT.spawn_height_m]), np.array([0.0, 0.0, 0.0, 1.0]),
              ROBOT.standing_angles + rng.uniform(-0.2, 0.2, 12), joint_velocities=rng.uniform(-2.0, 2.0, 12))
    return sim


def gait_like_targets(steps: int) -> np.ndarray:
    phase = np.linspace(0.0, 4.0 * np.pi * steps / 50.0, steps)[:, None]
    return ROBOT.standing_angles + 0.2 * np.sin(phase + np.arange(12))


def pd_control(sim: Simulation, targets: np.ndarray) -> None:
    p.setJointMotorControlArray(sim.robot_id, sim.joint_ids, p.PD_CONTROL,
                                targetPositions=ROBOT.controller_to_urdf(sim.clip_targets(targets)).tolist(),
                                targetVelocities=[0.0] * 12, positionGains=list(ROBOT.kp),
                                velocityGains=list(ROBOT.kd), forces=list(ROBOT.torque_limits),
                                physicsClientId=sim.client._client)


def check_semantics(cases: int = 10) -> None:
    target = ROBOT.standing_angles + 0.3
    worst = {"one": 0.0, "law": {}, "sum": {}}
    applied: set = set()
    for seed in range(cases):
        python_law, engine = new_sim(False, seed), new_sim(False, seed)
        python_law.step_position(target, 1)
        pd_control(engine, target)
        p.stepSimulation(physicsClientId=engine.client._client)
        worst["one"] = max(worst["one"], float(np.abs(python_law.joint_state()[1] - engine.joint_state()[1]).max()))
        applied |= {s[3] for s in p.getJointStates(engine.robot_id, engine.joint_ids,
                                                  physicsClientId=engine.client._client)}
        python_law.close()
        engine.close()
        for n in (2, SUBSTEPS):
            law, summed, engine = new_sim(False, seed), new_sim(False, seed), new_sim(False, seed)
            law.step_position(target, n)
            # PyBullet's torques under numSubSteps, reproduced: each internal step adds the plugin's clipped PD
            # torque to the torques of the steps before it.
            total = np.zeros(12)
            kp_target = summed._kp * summed.clip_targets(target)
            cid = summed.client._client
            for _ in range(n):
                q, qd = summed.joint_state()
                total = total + np.clip(kp_target - summed._kp * q - summed._kd * qd, -summed._tau_max,
                                        summed._tau_max)
                p.setJointMotorControlArray(summed.robot_id, summed.joint_ids, p.TORQUE_CONTROL,
                                            forces=(total * summed._directions).tolist(), physicsClientId=cid)
                p.stepSimulation(physicsClientId=cid)
            cid = engine.client._client
            p.setPhysicsEngineParameter(fixedTimeStep=n * engine.dt_s, numSubSteps=n, physicsClientId=cid)
            pd_control(engine, target)
            p.stepSimulation(physicsClientId=cid)
            qd_engine = engine.joint_state()[1]
            worst["law"][n] = max(worst["law"].get(n, 0.0), float(np.abs(law.joint_state()[1] - qd_engine).max()))
            worst["sum"][n] = max(worst["sum"].get(n, 0.0), float(np.abs(summed.joint_state()[1] - qd_engine).max()))
            for sim in (law, summed, engine):
                sim.close()
    print(f"From {cases} random joint states, target = standing pose + 0.3 rad; max |Δq̇| over joints and states:\n")
    print(f"1. one physics step, PD_CONTROL vs the Python PD law: {worst['one']:.1e} rad/s (rounding only)")
    for n in (2, SUBSTEPS):
        print(f"2. numSubSteps={n}, one stepSimulation: vs the PD law for {n} steps {worst['law'][n]:.1e} rad/s; "
              f"vs accumulated PD torques {worst['sum'][n]:.1e} rad/s")
    print(f"3. applied torque PyBullet reports for PD_CONTROL joints: {sorted(applied)}")


def best_cpu_seconds(fn, repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        best = min(best, fn())
    return best


def time_costs(repeats: int) -> None:
    targets = gait_like_targets(400)
    recorder = new_sim()
    torques: list = []
    set_motors = p.setJointMotorControlArray

    def logging_set_motors(*args, **kwargs):
        torques.append(list(kwargs["forces"]))
        return set_motors(*args, **kwargs)

    p.setJointMotorControlArray = logging_set_motors
    try:
        for t in targets:
            recorder.step_position(t, SUBSTEPS)
    finally:
        p.setJointMotorControlArray = set_motors
        recorder.close()

    def timed(body):
        def run():
            sim = new_sim()
            try:
                start = time.process_time()
                body(sim)
                return time.process_time() - start
            finally:
                sim.close()
        return run

    def bare(sim):
        cid = sim.client._client
        for tau in torques:
            p.setJointMotorControlArray(sim.robot_id, sim.joint_ids, p.TORQUE_CONTROL, forces=tau, physicsClientId=cid)
            p.stepSimulation(physicsClientId=cid)

    def python_law(sim):
        for t in targets:
            sim.step_position(t, SUBSTEPS)

    def engine(sim):
        cid = sim.client._client
        for t in targets:
            pd_control(sim, t)
            for _ in range(SUBSTEPS):
                p.stepSimulation(physicsClientId=cid)

    def commands_only(sim):
        for t in targets:
            pd_control(sim, t)

    n = len(targets)
    us = {name: 1e6 * best_cpu_seconds(timed(body), repeats) / n
          for name, body in (("bare", bare), ("python", python_law), ("engine", engine), ("command", commands_only))}
    print(f"\n4. CPU µs per control step ({SUBSTEPS} physics steps, gait-like targets, best of {repeats}):\n")
    print("| motor | µs per control step | vs bare |")
    print("|---|---:|---:|")
    print(f"| bare PyBullet, the same torques (TORQUE_CONTROL) | {us['bare']:.0f} | 1.00 |")
    print(f"| quadgait PD law in Python | {us['python']:.0f} | {us['python'] / us['bare']:.2f} |")
    print(f"| PD_CONTROL: one command, {SUBSTEPS} stepSimulation calls | {us['engine']:.0f} | "
          f"{us['engine'] / us['bare']:.2f} |")
    print(f"| (of which the PD_CONTROL command alone) | {us['command']:.0f} | |")


def constraint_motors() -> None:
    from envs.rollout import run_controller

    def trot(tag: str) -> tuple[float, float]:
        s = run_controller("trot", seconds=20, seed=0, command=(0.5, 0.0, 0.0)).summary
        print(f"| {tag} | {s['distance_m']:.2f} | {s['metrics']['cost_of_transport']:.3f} |", flush=True)
        return s["distance_m"], s["metrics"]["cost_of_transport"]

    def position_motors(kp_scale: float, kd_scale: float):
        def step_position(self, joint_targets, substeps):
            cid = self.client._client
            if not hasattr(self, "_probe_inertia"):  # joint-space inertia at the standing pose
                q = self.robot.controller_to_urdf(self.robot.standing_angles).tolist()
                self._probe_inertia = np.diag(p.calculateMassMatrix(self.robot_id, q, physicsClientId=cid))[-12:]
            h, inertia = self.dt_s, self._probe_inertia
            p.setJointMotorControlArray(
                self.robot_id, self.joint_ids, p.POSITION_CONTROL,
                targetPositions=self.robot.controller_to_urdf(self.clip_targets(joint_targets)).tolist(),
                targetVelocities=[0.0] * 12, positionGains=(kp_scale * self._kp * h * h / inertia).tolist(),
                velocityGains=(kd_scale * self._kd * h / inertia).tolist(), forces=self._tau_max.tolist(),
                physicsClientId=cid)
            for _ in range(substeps):
                p.stepSimulation(physicsClientId=cid)
                self.time_s += self.dt_s
            self._joint_reading = None
            reported = [s[3] for s in p.getJointStates(self.robot_id, self.joint_ids, physicsClientId=cid)]
            self._last_torques = np.array(reported) * self._directions
        return step_position

    print("\n5. Scripted trot, 0.5 m/s, 20 s:\n")
    print("| motor | distance (m) | cost of transport |")
    print("|---|---:|---:|")
    original = Simulation.step_position
    try:
        trot("PD law (quadgait)")
        for kp_scale, kd_scale in ((1.0, 1.0), (0.5, 1.0), (1.0, 0.5)):
            Simulation.step_position = position_motors(kp_scale, kd_scale)
            trot(f"POSITION_CONTROL, kp' = {kp_scale}·kp·dt²/I, kd' = {kd_scale}·kd·dt/I")
    finally:
        Simulation.step_position = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--constraint-motors", action="store_true", help="also run the trot comparison (slow)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    print(f"# PyBullet engine motors vs the PD law in Python (pybullet API {p.getAPIVersion()}, {ROBOT.name}, "
          f"physics 250 Hz)\n")
    check_semantics()
    time_costs(args.repeats)
    if args.constraint_motors:
        constraint_motors()


if __name__ == "__main__":
    main()
