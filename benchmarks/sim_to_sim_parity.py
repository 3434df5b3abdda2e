"""Sim-to-sim parity figures: the numbers behind tests/envs/test_mujoco_parity.py, printed as Markdown tables.

Usage (from the repository root; needs the ``mujoco`` extra)::

    python -m benchmarks.sim_to_sim_parity [--seconds 20] [--robots laikago_fast,laikago]

Per robot: total mass, standing height after 2 s of the PD law at the standing pose, and for the scripted trot
(``quadgait walk --gait trot``) and the model-based trot (``mpc-trot``) at 0.5 m/s over ``--seconds``: fell,
distance, duty factor and cost of transport in each engine, with the gaps the parity tests bound (standing height
5 mm; distance 15%; duty factor 0.05; cost of transport 20%). It prints, it does not assert.
"""

from __future__ import annotations

import argparse

import numpy as np

import envs  # noqa: F401
from envs.engine import make_engine
from envs.robots import get_robot
from envs.rollout import run_controller
from envs.sim import PhysicsSettings

ENGINES = ("pybullet", "mujoco")


def standing(robot_name: str, engine: str, seconds: float = 2.0) -> tuple[float, float]:
    """(total mass kg, base height m after ``seconds`` holding the standing pose)."""
    robot = get_robot(robot_name)
    sim = make_engine(engine, robot, PhysicsSettings(physics_hz=250.0, visual_shapes=False))
    try:
        sim.reset(np.array([0.0, 0.0, robot.spawn_height_m]), np.array([0.0, 0.0, 0.0, 1.0]), robot.standing_angles)
        for _ in range(int(round(seconds * 50))):
            sim.step_position(robot.standing_angles, 5)
        return sim.total_mass_kg, sim.state().base_height_m
    finally:
        sim.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--robots", default="laikago_fast,laikago")
    args = parser.parse_args()
    robots = args.robots.split(",")
    print("| robot | total mass pybullet / mujoco (kg) | standing height pybullet / mujoco (m) | gap (mm) |")
    print("|---|---:|---:|---:|")
    for robot in robots:
        (m_pb, h_pb), (m_mj, h_mj) = (standing(robot, e) for e in ENGINES)
        print(f"| {robot} | {m_pb:.3f} / {m_mj:.3f} | {h_pb:.4f} / {h_mj:.4f} | {1000 * (h_mj - h_pb):+.1f} |")
    print(f"\nTrots at 0.5 m/s for {args.seconds:g} s, seed 0 (pybullet / mujoco):\n")
    print("| robot | controller | fell | distance (m) | gap | duty factor | CoT | gap |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for robot in robots:
        for controller in ("trot", "mpc-trot"):
            s = {e: run_controller(controller, seconds=args.seconds, seed=0, command=(0.5, 0.0, 0.0),
                                   settings={"engine": e, "robot": robot}).summary for e in ENGINES}
            pb, mj = s["pybullet"], s["mujoco"]
            duty = [x["metrics"]["duty_factor_mean"] for x in (pb, mj)]
            cot = [x["metrics"]["cost_of_transport"] for x in (pb, mj)]
            print(f"| {robot} | {controller} | {'yes' if pb['fell'] else 'no'} / {'yes' if mj['fell'] else 'no'} | "
                  f"{pb['distance_m']:.2f} / {mj['distance_m']:.2f} | "
                  f"{(mj['distance_m'] - pb['distance_m']) / pb['distance_m']:+.1%} | "
                  f"{duty[0]:.3f} / {duty[1]:.3f} | {cot[0]:.3f} / {cot[1]:.3f} | {(cot[1] - cot[0]) / cot[0]:+.1%} |",
                  flush=True)


if __name__ == "__main__":
    main()
