"""Envs made from several threads leave stdout working; envs that do not render load no visual meshes
(reliability audit EA41-EA42, EA51)."""

from __future__ import annotations

import os
import threading

import gymnasium as gym
import numpy as np

from envs._pybullet import quiet_stdout


def _stdout_identity() -> tuple[int, int]:
    st = os.fstat(1)
    return st.st_dev, st.st_ino


def test_overlapping_quiet_blocks_in_two_threads_restore_stdout():
    before = _stdout_identity()
    a_inside, b_inside, a_left = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with quiet_stdout():
            a_inside.set()
            b_inside.wait(10)
        a_left.set()

    def second() -> None:
        a_inside.wait(10)
        with quiet_stdout():
            b_inside.set()
            a_left.wait(10)  # the first block ends while this one is still inside

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    # Before the fix the second block "restored" the /dev/null it had saved: stdout stayed silenced for good.
    assert _stdout_identity() == before


def test_envs_made_in_four_threads_leave_stdout_working():
    before = _stdout_identity()
    start = threading.Barrier(4)
    results: list[np.ndarray] = []

    def work() -> None:
        start.wait(10)
        env = gym.make("quadgait/LaikagoWalk-v0")
        obs, _ = env.reset(seed=0)
        results.append(env.step(np.zeros(12, np.float32))[0])
        env.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 4 and all(np.array_equal(r, results[0]) for r in results)
    assert _stdout_identity() == before


def test_nested_quiet_blocks_restore_on_the_outermost_exit():
    before = _stdout_identity()
    with quiet_stdout():
        silenced = _stdout_identity()
        with quiet_stdout((1, 2)):
            pass
        assert _stdout_identity() == silenced != before
    assert _stdout_identity() == before


def test_envs_that_do_not_render_load_no_visual_meshes():
    def meshes(env) -> int:
        sim = env.unwrapped.sim
        return sum(shape[2] == sim.client.GEOM_MESH for shape in sim.client.getVisualShapeData(sim.robot_id))

    plain = gym.make("quadgait/LaikagoWalk-v0")
    rendering = gym.make("quadgait/LaikagoWalk-v0", render_mode="rgb_array")
    try:
        counts = meshes(plain), meshes(rendering)
    finally:
        plain.close()
        rendering.close()
    # Only the collision primitives stand in for the visuals: about 33 MB per env instead of 195
    # (benchmarks/env_memory.py).
    assert counts[0] == 0 and counts[1] > 0
