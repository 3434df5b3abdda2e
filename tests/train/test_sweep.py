"""``quadgait sweep``: many seeds, resumable (a rerun finishes only what is missing), the same numbers in this process
and on a 2-node Ray cluster. Tiny networks and about a thousand steps per run: these test the machinery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.train.test_training import TINY
from train import sweep
from train.cli import main

REPO = Path(__file__).resolve().parents[2]
ENV = "quadgait/LaikagoWalk-v0"
STEPS = 1024  # 8 PPO updates of 128 steps; checkpoints every 512


@pytest.fixture
def hyperparams(tmp_path) -> Path:
    path = tmp_path / "hp.yaml"
    path.write_text(yaml.safe_dump({ENV: TINY}))
    return path


def _sweep(out: Path, hp: Path, *extra: str) -> int:
    return main(["sweep", "--env", ENV, "--timesteps", str(STEPS), "--out", str(out), "--hyperparams", str(hp),
                 *extra])


def _numbers(run: Path) -> tuple[list, dict]:
    """A run's evaluation rows without wall-clock times, and its policy's weights (as lists)."""
    from stable_baselines3 import PPO

    rows = [line.split(",")[:1] + line.split(",")[2:] for line in (run / "eval.csv").read_text().splitlines()]
    weights = PPO.load(run / "model.zip", device="cpu").policy.state_dict()
    return rows, {k: v.tolist() for k, v in weights.items()}


def _marker_times(out: Path) -> dict[str, int]:
    return {p.parent.name: p.stat().st_mtime_ns for p in out.glob("seed-*/" + sweep.DONE_FILE)}


def test_sweep_finishes_and_a_rerun_does_nothing(tmp_path, hyperparams, capsys):
    out = tmp_path / "sweep"
    assert _sweep(out, hyperparams, "--seeds", "3", "4") == 0
    state = json.loads((out / "sweep.json").read_text())
    assert state["status"] == "complete" and set(state["runs"]) == {"seed-3", "seed-4"}
    for seed in (3, 4):
        run = out / f"seed-{seed}"
        config = yaml.safe_load((run / "config.yaml").read_text())  # a normal `quadgait train` run folder
        assert (config["seed"], config["timesteps"], config["env_id"]) == (seed, STEPS, ENV)
        assert (run / "model.zip").is_file() and state["runs"][f"seed-{seed}"]["status"] == "done"
    err = capsys.readouterr().err
    assert "1/2 runs done, about" in err and "2/2 runs done" in err
    assert _numbers(out / "seed-3") != _numbers(out / "seed-4")  # the seed matters

    before = _marker_times(out)
    assert _sweep(out, hyperparams, "--seeds", "3", "4") == 0
    assert "2 already finished, 0 to run" in capsys.readouterr().err
    assert _marker_times(out) == before


def test_a_grid_gives_one_folder_per_setting(tmp_path, hyperparams):
    out = tmp_path / "grid"
    assert _sweep(out, hyperparams, "--seeds", "0", "--set", "learning_rate=1e-3,1e-4", "--timesteps", "128") == 0
    folders = sorted(p.parent.parent.name for p in out.glob("*/seed-0/" + sweep.DONE_FILE))
    assert folders == ["learning_rate=0.0001", "learning_rate=0.001"]
    lr = yaml.safe_load((out / "learning_rate=0.0001" / "seed-0" / "config.yaml").read_text())["hyperparams"]
    assert lr["learning_rate"] == 1e-4 and lr["n_steps"] == TINY["n_steps"]
    assert set(sweep.finished_runs(out)) == {"learning_rate=0.0001", "learning_rate=0.001"}


@pytest.mark.parametrize("argv, message", [
    (["--set", "learning_rate"], "expected KEY=VALUE"),
    (["--set", "no_such_key=1"], "unknown key"),
    (["--env", "quadgait/Nope-v0"], "unknown env id"),
])
def test_bad_recipes_fail_before_training(tmp_path, hyperparams, capsys, argv, message):
    assert _sweep(tmp_path / "bad", hyperparams, "--seeds", "0", *argv) == 2
    assert message in capsys.readouterr().err
    assert not list((tmp_path / "bad").rglob("model.zip"))


def test_another_recipe_in_the_same_folder_is_refused(tmp_path, hyperparams, capsys):
    out = tmp_path / "sweep"
    assert _sweep(out, hyperparams, "--seeds", "0", "--timesteps", "128") == 0
    assert _sweep(out, hyperparams, "--seeds", "0", "--set", "learning_rate=1e-3") == 2
    assert "holds another sweep (its grid differ" in capsys.readouterr().err


def _start(out: Path, hp: Path, seeds: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "train.cli", "sweep", "--env", ENV, "--timesteps", str(STEPS),
                             "--out", str(out), "--hyperparams", str(hp), "--seeds", *seeds], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _wait_for(condition, proc: subprocess.Popen, timeout_s: float = 240.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.mark.slow
def test_killed_sweep_reruns_only_what_is_missing(tmp_path, hyperparams, capsys):
    out = tmp_path / "sweep"
    proc = _start(out, hyperparams, ["0", "1", "2"])
    # Kill the driver (SIGKILL: no clean-up at all) once seed 0 is finished and seed 1 has a checkpoint.
    _wait_for(lambda: (out / "seed-0" / sweep.DONE_FILE).is_file()
              and list((out / "seed-1" / "checkpoints").glob("ckpt_*.zip")), proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    finished = _marker_times(out)
    assert set(finished) == {"seed-0"} and not (out / "seed-2").exists()

    assert _sweep(out, hyperparams, "--seeds", "0", "1", "2") == 0
    assert "1 already finished, 2 to run" in capsys.readouterr().err
    state = json.loads((out / "sweep.json").read_text())
    assert state["status"] == "complete"
    assert _marker_times(out)["seed-0"] == finished["seed-0"]  # the finished run was not touched
    assert state["runs"]["seed-1"]["resumed"] and not state["runs"]["seed-2"]["resumed"]
    assert yaml.safe_load((out / "seed-1" / "config.yaml").read_text())["resumed_from"]["checkpoint_step"] > 0


@pytest.mark.slow
def test_ctrl_c_marks_the_sweep_partial(tmp_path, hyperparams):
    out = tmp_path / "sweep"
    proc = _start(out, hyperparams, ["0", "1"])
    _wait_for(lambda: (out / "seed-0" / sweep.DONE_FILE).is_file()
              and list((out / "seed-1" / "checkpoints").glob("ckpt_*.zip")), proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "1 of 2 runs finished and kept" in err
    state = json.loads((out / "sweep.json").read_text())
    assert state["status"] == "partial"
    assert (state["runs"]["seed-0"]["status"], state["runs"]["seed-1"]["status"]) == ("done", "interrupted")


@pytest.mark.slow
def test_two_node_ray_cluster_gives_the_same_numbers(tmp_path, hyperparams):
    ray = pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    local = tmp_path / "local"
    assert _sweep(local, hyperparams, "--seeds", "0", "1") == 0
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        on_ray = tmp_path / "ray"
        assert _sweep(on_ray, hyperparams, "--seeds", "0", "1", "--address", cluster.address) == 0
    finally:
        ray.shutdown()
        cluster.shutdown()
    state = json.loads((on_ray / "sweep.json").read_text())
    assert len({r["ray_node"] for r in state["runs"].values()}) == 2  # one run on each node (1 CPU each)
    for seed in (0, 1):
        assert _numbers(on_ray / f"seed-{seed}") == _numbers(local / f"seed-{seed}")


@pytest.mark.slow
def test_a_dead_ray_worker_leaves_the_rest_and_a_rerun_resumes_its_run(tmp_path, hyperparams, capsys):
    pytest.importorskip("ray")
    from train.run_guard import LOCK_FILE

    out = tmp_path / "sweep"
    proc = _start(out, hyperparams, ["0", "1", "--workers", "2"])
    lock = out / "seed-1" / LOCK_FILE
    # The run's lock file names the process that trains it: the Ray worker. Kill it after its first checkpoint.
    _wait_for(lambda: lock.is_file() and lock.read_text().strip()
              and list((out / "seed-1" / "checkpoints").glob("ckpt_*.zip")), proc)
    os.kill(int(lock.read_text()), signal.SIGKILL)
    _, err = proc.communicate(timeout=240)
    assert proc.returncode == 3, err
    state = json.loads((out / "sweep.json").read_text())
    assert state["status"] == "partial" and state["runs"]["seed-0"]["status"] == "done"
    assert state["runs"]["seed-1"]["status"] == "failed" and "seed-1" in err

    done = _marker_times(out)
    assert _sweep(out, hyperparams, "--seeds", "0", "1") == 0
    assert "1 already finished, 1 to run" in capsys.readouterr().err
    assert _marker_times(out)["seed-0"] == done["seed-0"]
    assert json.loads((out / "sweep.json").read_text())["runs"]["seed-1"]["resumed"]


def test_time_left_shares_the_remaining_runs_among_the_workers():
    assert sweep.time_left_s([], 3, 1) is None
    assert sweep.time_left_s([10.0, 20.0], 3, 1) == 45.0  # 3 more runs of 15 s, one at a time
    assert sweep.time_left_s([10.0, 20.0], 3, 2) == 30.0  # two waves
