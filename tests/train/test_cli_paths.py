"""Output paths are checked before any work starts, OS errors are one line, exit codes are documented (reliability
audit W23, W28-W29, W33, D01-D03, X05-X06, B16-B18, T14, T16, T40, E32)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from train import commands
from train.cli import main

REPO = Path(__file__).resolve().parents[2]
UNCREATABLE = "/proc/quadgait-no-such-dir/x"  # mkdir fails there, even for root


@pytest.fixture
def afile(tmp_path) -> Path:
    path = tmp_path / "afile"
    path.write_text("hello\n")
    return path


@pytest.fixture
def no_work(monkeypatch):
    """Any rollout, benchmark cell or training that starts fails the test."""
    def forbidden(*args, **kwargs):
        raise AssertionError("work started before the output path was checked")

    import envs.rollout
    import train.bench.runner
    import train.training

    monkeypatch.setattr(envs.rollout, "run_controller", forbidden)
    monkeypatch.setattr(commands, "_walk", forbidden)
    for name in ("run_serial", "run_local", "run_cell"):
        monkeypatch.setattr(train.bench.runner, name, forbidden)
    monkeypatch.setattr(train.training, "_train", forbidden, raising=False)
    monkeypatch.setattr(train.training, "_probe_env", forbidden, raising=False)
    monkeypatch.setattr(train.training, "make_vec_env", forbidden, raising=False)


def _one_line(capsys, argv: list[str], *names: str) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"quadgait {argv[0]}: error: "), err
    for name in names:
        assert name in err, err
    return err


@pytest.mark.parametrize("make_argv", [
    lambda f: ["walk", "--seconds", "1", "--video", f"{f}/x.mp4"],
    lambda f: ["eval", "laikago-walk-ppo", "--seconds", "1", "--video", f"{f}/x.gif"],
    lambda f: ["demo", "--seconds", "1", "--out", f"{f}/sub"],
    lambda f: ["export", "laikago-walk-ppo", "--onnx", f"{f}/x.onnx"],
    lambda f: ["bench", "--controller", "trot", "--scenario", "flat-0.5", "--episodes", "1", "--out", f"{f}/sub"],
    lambda f: ["train", "--timesteps", "1000", "--out", f"{f}/sub"],
])
def test_an_output_under_a_file_fails_first_in_one_line(capsys, afile, no_work, make_argv):
    err = _one_line(capsys, make_argv(afile), f"{afile}/")
    assert f"'{afile}' is a file" in err or f"'{afile}' exists and is not a folder" in err, err
    assert afile.read_text() == "hello\n"


@pytest.mark.parametrize("argv", [
    ["walk", "--seconds", "1", "--video", f"{UNCREATABLE}/x.mp4"],
    ["demo", "--seconds", "1", "--out", UNCREATABLE],
    ["export", "laikago-walk-ppo", "--onnx", f"{UNCREATABLE}/x.onnx"],
    ["bench", "--controller", "trot", "--scenario", "flat-0.5", "--episodes", "1", "--out", UNCREATABLE],
    ["train", "--timesteps", "1000", "--out", UNCREATABLE],
])
def test_an_output_that_cannot_be_created_fails_first_naming_the_users_path(capsys, no_work, argv):
    err = _one_line(capsys, argv, UNCREATABLE, "cannot create the folder")
    assert ".partial" not in err


def test_demo_into_an_existing_file_fails_first(capsys, afile, no_work):
    _one_line(capsys, ["demo", "--seconds", "1", "--out", str(afile)], "exists and is not a folder")


def test_os_errors_are_one_line(monkeypatch, capsys):
    def denied(args):
        raise PermissionError(13, "Permission denied", "/sys/kernel/x")

    monkeypatch.setattr(commands, "cmd_walk", denied)
    from train import cli

    monkeypatch.setattr(cli, "cmd_walk", denied)
    _one_line(capsys, ["walk"], "Permission denied: '/sys/kernel/x'")


@pytest.mark.parametrize("argv", [
    ["walk", "--seed", "-1"], ["demo", "--seed", "-1"], ["eval", "laikago-walk-ppo", "--seed", "-3"],
    ["train", "--timesteps", "100", "--seed", "-1"], ["walk", "--seed", str(2**32)],
])
def test_seeds_are_checked_by_the_parser(capsys, tmp_path, argv):
    argv = [*argv, "--out", str(tmp_path / "run")] if argv[0] == "train" else argv
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "out of range [0, 4294967295]" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()  # T40: no empty run folder


def test_a_fall_exits_3_not_1(capsys):
    assert main(["walk", "--terrain", "stairs:9", "--seconds", "5", "--json"]) == 3
    assert '"fell": true' in capsys.readouterr().out


def test_a_closed_stdout_ends_quietly():
    proc = subprocess.Popen([sys.executable, "-m", "train.cli", "walk", "--seconds", "0.5", "--json"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # like `| head` exiting before quadgait prints
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 141, err
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


@pytest.mark.parametrize("argv", [
    ["bench", "--no-progress", "--controller", "trot", "--scenario", "flat-0.5", "--episodes", "1", "--out", ""],
    ["demo", "--seconds", "1", "--out", " "],
    ["train", "--timesteps", "100", "--out", ""],
    ["train", "--timesteps", "100", "--resume", ""],
    ["convert", ""],
])
def test_an_empty_output_folder_is_refused(capsys, tmp_path, monkeypatch, argv):
    """Audit D15: --out '' wrote the report into the current folder."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "must not be empty; give a folder path" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
