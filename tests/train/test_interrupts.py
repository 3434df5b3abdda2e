"""Ctrl-C saves or marks partial work, exits 130 without tracebacks; bench workers die with their parent
(reliability audit I1, B34, B37)."""

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

from train.bench import runner
from train.cli import main
from train.training import latest_checkpoint, train

REPO = Path(__file__).resolve().parents[2]
TINY = {"n_envs": 2, "normalize": True, "policy_kwargs": {"net_arch": [16]}, "n_steps": 64, "batch_size": 64,
        "n_epochs": 1, "episode_seconds": 1.0, "eval_freq": 128, "checkpoint_freq": 1_000_000, "eval_seconds": 0.2}
BENCH = [sys.executable, "-m", "train.cli", "bench", "--controller", "trot", "--controller", "pace", "--scenario",
         "flat-0.5", "--scenario", "flat-0.3", "--episodes", "20", "--workers", "2", "--no-progress"]


def _ctrl_c_as_in_a_terminal() -> None:
    """In the child before exec: Ctrl-C's default action. A test run started in the background of a
    non-interactive shell (``pytest ... &``) inherits SIGINT ignored, and so would every command it starts."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(cmd: list[str], err) -> subprocess.Popen:
    """A command in its own process group (so the test can signal it and its workers), stderr to ``err``."""
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
                            preexec_fn=_ctrl_c_as_in_a_terminal)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_for(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_ctrl_c_in_train_saves_a_checkpoint_and_the_run_resumes(tmp_path):
    run, hp = tmp_path / "run", tmp_path / "hp.yaml"
    hp.write_text(yaml.safe_dump({"default": TINY}))
    with open(tmp_path / "err.txt", "wb") as err:
        proc = _start([sys.executable, "-m", "train.cli", "train", "--timesteps", "1000000", "--out", str(run),
                       "--hyperparams", str(hp), "--no-progress"], err)
        try:
            def eval_rows() -> bool:
                return (run / "eval.csv").is_file() and len((run / "eval.csv").read_text().splitlines()) > 1

            _wait_for(lambda: eval_rows() or proc.poll() is not None, 180, "training to start")
            os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
            assert proc.wait(timeout=120) == 130
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    stderr = (tmp_path / "err.txt").read_text()
    assert "Traceback" not in stderr, stderr
    assert "interrupted at step" in stderr and "--resume" in stderr
    step, _ = latest_checkpoint(run)  # before the fix: no checkpoint, so --resume failed
    assert step >= 128
    train(None, None, step + 128, 1, None, None, resume=run, progress=False)  # one env: no worker processes to start
    assert latest_checkpoint(run)[0] == step + 128


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_a_dead_env_worker_ends_training_with_one_line(tmp_path):
    run, hp = tmp_path / "run", tmp_path / "hp.yaml"
    hp.write_text(yaml.safe_dump({"default": {**TINY, "checkpoint_freq": 128}}))
    with open(tmp_path / "err.txt", "wb") as err:
        proc = _start([sys.executable, "-m", "train.cli", "train", "--timesteps", "1000000", "--out", str(run),
                       "--hyperparams", str(hp), "--no-progress"], err)
        try:
            _wait_for(lambda: list((run / "checkpoints").glob("ckpt_*.zip")) or proc.poll() is not None, 180,
                      "a checkpoint")
            server = [c for c in _children(proc.pid) if "forkserver" in _cmdline(c)]
            workers = [w for s in server for w in _children(s)]
            assert workers, [_cmdline(c) for c in _children(proc.pid)]
            os.kill(workers[0], signal.SIGKILL)
            assert proc.wait(timeout=60) == 2
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    stderr = (tmp_path / "err.txt").read_text()
    assert "Traceback" not in stderr, stderr  # before: EOFError and BrokenPipeError tracebacks
    assert "an env worker process died" in stderr and "--resume" in stderr
    assert latest_checkpoint(run)[0] >= 128


def test_ctrl_c_in_bench_writes_a_partial_report(tmp_path, monkeypatch, capsys):
    real, calls = runner.run_cell, []

    def interrupted_on_the_second(cell):
        calls.append(cell)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(cell)

    monkeypatch.setattr(runner, "run_cell", interrupted_on_the_second)
    out = tmp_path / "out"
    scenario = runner.Scenario("tiny", "1 s flat", (0.5, 0.0, 0.0), 1.0)
    monkeypatch.setattr("train.bench.scenarios.SCENARIOS", {"tiny": scenario})
    assert main(["bench", "--controller", "trot", "--controller", "pace", "--scenario", "tiny", "--episodes", "2",
                 "--out", str(out), "--no-progress"]) == 130
    data = json.loads((out / "results.json").read_text())
    assert data["interrupted"] is True and (data["episodes_finished"], data["episodes_planned"]) == (1, 4)
    assert "Interrupted (Ctrl-C): partial report, 1 of 4 episodes ran" in (out / "results.md").read_text()
    assert "partial report" in capsys.readouterr().err


def _start_bench(tmp_path: Path, err) -> subprocess.Popen:
    proc = _start([*BENCH, "--out", str(tmp_path / "out")], err)
    _wait_for(lambda: len(_children(proc.pid)) >= 2 or proc.poll() is not None, 120, "two bench workers")
    return proc


def test_ctrl_c_in_bench_with_workers_is_quiet_and_keeps_finished_episodes(tmp_path):
    with open(tmp_path / "err.txt", "wb") as err:
        proc = _start_bench(tmp_path, err)
        workers = _children(proc.pid)
        try:
            time.sleep(3.0)
            os.killpg(proc.pid, signal.SIGINT)
            try:
                assert proc.wait(timeout=120) == 130  # generous: a loaded machine writes the plots slowly
            except subprocess.TimeoutExpired:  # say where it is stuck: stacks of the parent and its workers
                os.killpg(proc.pid, signal.SIGUSR1)
                time.sleep(3.0)
                ps = subprocess.run(["ps", "-o", "pid,ppid,stat,wchan:20,etime,cmd", "-g", str(proc.pid)],
                                    capture_output=True, text=True).stdout
                sig = [line for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines()
                       if line.startswith("Sig")]
                mine = [line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("Sig")]
                raise AssertionError(f"bench did not exit after Ctrl-C\n{ps}\nbench {sig}\npytest {mine}\n"
                                     f"{(tmp_path / 'err.txt').read_text()[-6000:]}") from None
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    stderr = (tmp_path / "err.txt").read_text()
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    assert data["interrupted"] is True and data["episodes_finished"] < data["episodes_planned"] == 80
    assert all(e["status"] == "ok" for e in data["episodes"])
    _wait_for(lambda: not any(_alive(w) for w in workers), 10, "the workers to exit")


def test_bench_workers_die_with_a_killed_parent(tmp_path):
    with open(tmp_path / "err.txt", "wb") as err:
        proc = _start_bench(tmp_path, err)
        workers = _children(proc.pid)
        assert len(workers) >= 2
        try:
            os.kill(proc.pid, signal.SIGKILL)  # the parent only, as the OOM killer or a CI timeout does
            proc.wait()
            # Before the fix both workers blocked forever on a pipe whose other end they held themselves.
            _wait_for(lambda: not any(_alive(w) for w in workers), 15, "orphaned workers to exit")
        finally:
            for w in workers:
                if _alive(w):
                    os.kill(w, signal.SIGKILL)


@pytest.mark.parametrize("address, message", [
    ("127.0.0.1:1", "cannot reach the Ray cluster at '127.0.0.1:1'"),
    ("nonsense", "expected 'local', 'auto', HOST:PORT"),
])
def test_an_unreachable_ray_address_fails_in_seconds(tmp_path, capsys, address, message):
    start = time.monotonic()
    assert main(["bench", "--controller", "trot", "--scenario", "flat-0.5", "--ray", address, "--out",
                 str(tmp_path / "out"), "--no-progress"]) == 2
    assert message in capsys.readouterr().err
    assert time.monotonic() - start < 10  # before the fix: hung for more than 10 minutes
    assert not (tmp_path / "out").exists()
