"""Env speed on one core: LaikagoWalk-v0 steps/s beside bare PyBullet replaying the same torques, in the same run;
and the same for the MuJoCo twin (``engine="mujoco"``) when the ``mujoco`` extra is installed.

Usage (from the repository root)::

    python -m benchmarks.env_speed [--steps 1000] [--repeats 3] [--clock cpu|wall] [--robots laikago_fast,laikago]
                                   [--engines pybullet,mujoco]

Prints Markdown tables.

Workload: the scripted trot's action sequence at 0.5 m/s (recorded once, then replayed, so the controller's cost is
excluded). Three loops replay it, interleaved, each the best of ``repeats`` runs:

* **env**: ``LaikagoWalk-v0`` stepped through ``gymnasium.make`` (its wrappers included);
* **motor only**: the env's :class:`~envs.sim.Simulation` stepped with the same joint targets through
  ``step_position`` (the PD law at every physics step), nothing else: no state read, observation or reward;
* **bare PyBullet**: a bare loop applying the exact joint torques the env applied at every physics step
  (``setJointMotorControlArray`` + ``stepSimulation``), so it simulates the same motion.

The MuJoCo rows run the same three loops on the twin (:mod:`envs.mujoco_sim`): the env with ``engine="mujoco"``,
its ``step_position``, and bare ``mj_step`` applying the exact joint torques the twin's env applied (as generalised
forces, actuators off). The last table is the sim-to-sim speed-up, MuJoCo env / PyBullet env steps/s (issue 21's
target: 5x), each robot's rows measured interleaved in this one run.

``env / bare`` is the issue-14 figure (target 0.85). The breakdown table splits an env step into physics (the bare
loop), the PD law's Python (motor only − bare) and the rest of the env (env − motor only: state read, observation,
reward, termination, info, wrappers).

The process is pinned to one core. ``--clock cpu`` (default) times with the process's CPU time, which a busy machine
disturbs far less than wall-clock time (other processes take turns on the core, they do not add CPU time to ours;
they still cost us some cache); ``--clock wall`` is what a quiet machine's user sees. A reference row for
pybullet-envs-gymnasium's ``AntBulletEnv-v0`` (random actions) is printed when that package is importable (it is
not a quadgait dependency: ``pip install pybullet-envs-gymnasium==0.6.0``).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import gymnasium as gym
import numpy as np

import envs  # noqa: F401
from envs._pybullet import pybullet
from envs.rollout import run_controller

ENV_ID = "quadgait/LaikagoWalk-v0"
CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = sorted(os.sched_getaffinity(0))[0]
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}"
    return "not pinned (no sched_setaffinity)"


def trot_actions(robot: str, steps: int) -> np.ndarray:
    episode = run_controller("trot", seconds=steps / 50.0, seed=0, command=(0.5, 0.0, 0.0), settings={"robot": robot})
    return episode.rollout.actions


def make_env(robot: str, engine: str = "pybullet") -> gym.Env:
    env = gym.make(ENV_ID, robot=robot, engine=engine, max_episode_steps=10**6)
    env.reset(seed=0)
    return env


def record_replay(robot: str, actions: np.ndarray, engine: str = "pybullet") -> tuple[list, list]:
    """(joint targets of every control step, URDF-frame torques of every physics step) of one env run."""
    env = make_env(robot, engine)
    sim = env.unwrapped.sim
    targets: list = []
    torques: list = []
    step_position = sim.step_position

    def logging_step_position(joint_targets, substeps):
        targets.append(np.array(joint_targets, dtype=float))
        step_position(joint_targets, substeps)

    sim.step_position = logging_step_position
    if engine == "mujoco":
        import mujoco

        mj_step, vadr = mujoco.mj_step, sim._vadr

        def logging_mj_step(m, d):
            mj_step(m, d)
            torques.append(d.qfrc_actuator[vadr] + d.qfrc_applied[vadr])  # what moved the joints this step

        mujoco.mj_step = logging_mj_step
        try:
            for a in actions:
                env.step(a)
        finally:
            mujoco.mj_step = mj_step
            env.close()
        return targets, torques
    set_motors = pybullet.setJointMotorControlArray

    def logging_set_motors(*args, **kwargs):
        torques.append(list(kwargs["forces"]))
        return set_motors(*args, **kwargs)

    pybullet.setJointMotorControlArray = logging_set_motors
    try:
        for a in actions:
            env.step(a)
    finally:
        pybullet.setJointMotorControlArray = set_motors
        env.close()
    return targets, torques


def env_seconds(robot: str, actions: np.ndarray, clock, engine: str = "pybullet") -> float:
    env = make_env(robot, engine)
    try:
        start = clock()
        for a in actions:
            env.step(a)
        return clock() - start
    finally:
        env.close()


def motor_seconds(robot: str, targets: list, substeps: int, clock, engine: str = "pybullet") -> float:
    env = make_env(robot, engine)
    try:
        sim = env.unwrapped.sim
        start = clock()
        for t in targets:
            sim.step_position(t, substeps)
        return clock() - start
    finally:
        env.close()


def bare_seconds(robot: str, torques: list, clock, engine: str = "pybullet") -> float:
    if engine == "mujoco":
        return bare_mujoco_seconds(robot, torques, clock)
    env = make_env(robot)
    try:
        sim = env.unwrapped.sim
        cid, rid, ids = sim.client._client, sim.robot_id, sim.joint_ids
        set_motors, step, mode = pybullet.setJointMotorControlArray, pybullet.stepSimulation, pybullet.TORQUE_CONTROL
        start = clock()
        for tau in torques:
            set_motors(rid, ids, mode, forces=tau, physicsClientId=cid)
            step(physicsClientId=cid)
        return clock() - start
    finally:
        env.close()


def bare_mujoco_seconds(robot: str, torques: list, clock) -> float:
    """Bare ``mj_step`` on the twin's model, applying the recorded torques as generalised forces (actuators off)."""
    import mujoco

    env = make_env(robot, "mujoco")
    try:
        sim = env.unwrapped.sim
        m, d, vadr, step = sim.model, sim.data, sim._vadr, mujoco.mj_step
        m.opt.disableactuator = 1
        start = clock()
        for tau in torques:
            d.qfrc_applied[vadr] = tau
            step(m, d)
        return clock() - start
    finally:
        env.close()


def available_engines(wanted: str) -> list[str]:
    engines = []
    for engine in wanted.split(","):
        if engine == "mujoco":
            try:
                import mujoco  # noqa: F401
            except ImportError:
                print("note: mujoco is not installed (pip install 'quadgait[mujoco]'): no MuJoCo rows\n")
                continue
        engines.append(engine)
    return engines


def ant_rate(steps: int, repeats: int, clock) -> str:
    from envs._pybullet import quiet_stdout

    try:
        with quiet_stdout():
            import pybullet_envs_gymnasium  # noqa: F401  (registers AntBulletEnv-v0)
    except Exception as exc:  # noqa: BLE001 - we report why it is unavailable
        return f"not measured (pybullet-envs-gymnasium is not importable: {type(exc).__name__})"
    best = 0.0
    for _ in range(repeats):
        with quiet_stdout():  # its client prints its argv when it connects
            env = gym.make("AntBulletEnv-v0")
            env.reset(seed=0)
        try:
            env.action_space.seed(0)
            actions = [env.action_space.sample() for _ in range(steps)]
            start = clock()
            for a in actions:
                if env.step(a)[2]:
                    env.reset()
            best = max(best, steps / (clock() - start))
        finally:
            env.close()
    return (f"{best:.0f} steps/s (random actions; 8 joints, torques held over 4 internal physics steps "
            f"(numSubSteps), 5 solver iterations)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000, help="env steps per measurement (default 1000 = 20 s)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--clock", choices=tuple(CLOCKS), default="cpu")
    parser.add_argument("--robots", default="laikago_fast,laikago", help="comma-separated robot variants")
    parser.add_argument("--engines", default="pybullet,mujoco",
                        help="comma-separated engines (mujoco is skipped when not installed)")
    args = parser.parse_args()
    engines = available_engines(args.engines)
    pinned = pin_to_one_core()
    clock = CLOCKS[args.clock]
    probe = gym.make(ENV_ID).unwrapped
    rates = probe.settings
    probe.close()
    substeps = rates.substeps
    print(f"# {ENV_ID} speed, one core ({pinned}; {platform.processor() or platform.machine()}, Python "
          f"{platform.python_version()}, pybullet API {pybullet.getAPIVersion()}); physics {rates.physics_hz:.0f} Hz, "
          f"control {rates.control_hz:.0f} Hz ({substeps} substeps), {rates.solver_iterations} solver iterations; "
          f"workload: scripted trot at 0.5 m/s, {args.steps} steps; best of {args.repeats}, {args.clock} clock\n")
    rows = []
    for robot in args.robots.split(","):
        actions = trot_actions(robot, args.steps)
        replays = {engine: record_replay(robot, actions, engine) for engine in engines}
        best = {engine: {"env": np.inf, "motor": np.inf, "bare": np.inf} for engine in engines}
        for _ in range(args.repeats):  # interleaved: a busy spell hits every loop alike
            for engine in engines:
                targets, torques = replays[engine]
                b = best[engine]
                b["bare"] = min(b["bare"], bare_seconds(robot, torques, clock, engine))
                b["motor"] = min(b["motor"], motor_seconds(robot, targets, substeps, clock, engine))
                b["env"] = min(b["env"], env_seconds(robot, actions, clock, engine))
        rows += [(robot, engine, len(actions), best[engine]) for engine in engines]
    print("| robot variant | engine | env steps/s | motor only steps/s | bare engine steps/s (same torques) | "
          "env / bare | env overhead |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for robot, engine, n, best in rows:
        env_sps, motor_sps, bare_sps = (n / best[k] for k in ("env", "motor", "bare"))
        print(f"| {robot} | {engine} | {env_sps:.0f} | {motor_sps:.0f} | {bare_sps:.0f} | {env_sps / bare_sps:.2f} | "
              f"{100 * (1 - env_sps / bare_sps):.0f}% |")
    print("\nWhere an env step's time goes (µs per control step):\n")
    print("| robot variant | engine | physics (bare loop) | PD law (motor − bare) | rest of the env (env − motor) | "
          "env step |")
    print("|---|---|---:|---:|---:|---:|")
    for robot, engine, n, best in rows:
        us = {k: 1e6 * v / n for k, v in best.items()}
        print(f"| {robot} | {engine} | {us['bare']:.0f} | {us['motor'] - us['bare']:.0f} | "
              f"{us['env'] - us['motor']:.0f} | {us['env']:.0f} |")
    if {"pybullet", "mujoco"} <= set(engines):
        print("\nSim-to-sim speed, same workload, one core: MuJoCo / PyBullet steps/s (target for the env: 5x)\n")
        print("| robot variant | env | bare engine |")
        print("|---|---:|---:|")
        by = {(robot, engine): best for robot, engine, _, best in rows}
        for robot in args.robots.split(","):
            pb, mj = by[(robot, "pybullet")], by[(robot, "mujoco")]
            print(f"| {robot} | {pb['env'] / mj['env']:.1f}x | {pb['bare'] / mj['bare']:.1f}x |")
    print(f"\nReference, pybullet-envs-gymnasium AntBulletEnv-v0: {ant_rate(args.steps, args.repeats, clock)}")


if __name__ == "__main__":
    main()
