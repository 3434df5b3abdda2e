"""``quadgait train`` does what was asked or says why not: recorded envs and seed on resume, one run per folder,
fresh command.txt, fallback to an older checkpoint, bad settings and files caught in the parent (reliability audit
R01, R06, R08, R09, R10, T19, T31, T33, T37-T39)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from envs.policies.files import read_metadata
from train.cli import main
from train.hyperparams import load_hyperparams
from train.run_guard import run_lock
from train.training import latest_checkpoint, train

TINY = {"n_envs": 2, "normalize": True, "policy_kwargs": {"net_arch": [8]}, "n_steps": 64, "batch_size": 64,
        "n_epochs": 1, "episode_seconds": 1.0, "eval_freq": 0, "checkpoint_freq": 64, "eval_seconds": 0.2}


def _hp(tmp_path: Path, **changes) -> Path:
    path = tmp_path / "hp.yaml"
    path.write_text(yaml.safe_dump({"default": {**TINY, **changes}}))
    return path


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> Path:
    """A 128-step run with one env and seed 5 (the hyperparameters say 2 envs), checkpoints at 64 and 128."""
    tmp = tmp_path_factory.mktemp("small")
    run = tmp / "run"
    train("quadgait/LaikagoWalk-v0", "ppo", 128, 1, 5, run, hyperparams_path=_hp(tmp), progress=False,
          command="first")
    return run


@pytest.fixture
def run(small_run, tmp_path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(small_run, copy)
    return copy


def _error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines()[-1].startswith(f"quadgait {argv[0]}: error: "), err
    return err.splitlines()[-1]


def test_resume_keeps_the_recorded_envs_and_seed(run, capsys):
    train(None, None, 192, None, None, None, resume=run, progress=False)
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert (config["n_envs"], config["seed"]) == (1, 5)  # before the fix: 2 (the hyperparameters') and 0
    assert "overrides" not in capsys.readouterr().err
    train(None, None, 256, None, 7, None, resume=run, progress=False)
    assert "--seed 7 overrides the run's recorded 5" in capsys.readouterr().err
    assert yaml.safe_load((run / "config.yaml").read_text())["seed"] == 7


def test_resume_falls_back_to_the_newest_checkpoint_that_loads(run, capsys):
    newest = run / "checkpoints" / "ckpt_128.zip"
    newest.write_bytes(newest.read_bytes()[:3000])  # truncated by a crash of the disk, say
    train(None, None, 192, None, None, None, resume=run, progress=False)
    err = capsys.readouterr().err
    assert "skipping ckpt_128.zip: corrupt checkpoint" in err and "resuming from" in err and "ckpt_64.zip" in err
    assert yaml.safe_load((run / "config.yaml").read_text())["resumed_from"]["checkpoint_step"] == 64


def test_resume_into_another_env_is_a_clean_error(run, capsys):
    config = yaml.safe_load((run / "config.yaml").read_text())
    config["env_id"] = "quadgait/LaikagoVelocity-v1"
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    err = _error(capsys, ["train", "--resume", str(run), "--timesteps", "999"])
    assert "was trained in 'quadgait/LaikagoWalk-v0'" in err and "'quadgait/LaikagoVelocity-v1'" in err


def test_a_folder_in_use_by_another_run_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    with run_lock(out):  # another `quadgait train` holding the folder
        err = _error(capsys, ["train", "--timesteps", "64", "--out", str(out), "--hyperparams", str(_hp(tmp_path)),
                              "--no-progress"])
    assert "is in use by another quadgait train" in err
    assert [p.name for p in out.iterdir()] == []  # nothing of the second run was written


def test_a_reused_folder_gets_a_fresh_command_txt(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "command.txt").write_text("quadgait train --an-earlier-run-that-died-before-a-checkpoint\n")
    train("quadgait/LaikagoWalk-v0", "ppo", 64, 1, 0, out, hyperparams_path=_hp(tmp_path), progress=False,
          command="quadgait train --this-one")
    assert (out / "command.txt").read_text() == "quadgait train --this-one\n"


@pytest.mark.parametrize("env_kwargs, message", [
    ({"no_such": 1}, "unknown setting(s) 'no_such'; valid settings: robot"),
    ({"target_speed_mps": 99}, "target_speed_mps=99"),
])
def test_bad_env_settings_with_worker_processes_fail_in_one_line(tmp_path, capsys, env_kwargs, message):
    out = tmp_path / "run"
    err = _error(capsys, ["train", "--timesteps", "1000", "--out", str(out), "--no-progress", "--hyperparams",
                          str(_hp(tmp_path, env_kwargs=env_kwargs))])
    assert message in err  # before the fix: a ConnectionResetError traceback from SubprocVecEnv
    assert not out.exists()  # and no empty run folder


@pytest.mark.parametrize("text, message", [
    ("default:\n  n_epochs: 1\n  n_epochs: 3\n", "duplicate key 'n_epochs'"),
    ("default:\n  env_kwargs: &a {target_speed_mps: 0.5}\n  policy_kwargs: *a\n", "anchors and aliases"),
    ("a: &a [1, 1]\nb: &b [*a, *a]\ndefault: {n_steps: 64}\n", "anchors and aliases"),
])
def test_hyperparameter_files_reject_duplicate_keys_and_aliases(tmp_path, text, message):
    path = tmp_path / "hp.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_hyperparams("ppo", "quadgait/LaikagoWalk-v0", path)


def test_binary_and_absurd_hyperparameter_files_are_clean_errors(tmp_path, capsys):
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(bytes(range(132, 255)) * 3)
    assert f"hyperparameter file '{binary}' is not UTF-8 text" in _error(
        capsys, ["train", "--timesteps", "64", "--out", str(tmp_path / "a"), "--hyperparams", str(binary)])
    err = _error(capsys, ["train", "--timesteps", "64", "--out", str(tmp_path / "b"), "--hyperparams",
                          str(_hp(tmp_path, n_steps=10_000_000_000))])
    assert "n_steps: expected an integer in [1, 1048576]" in err  # before the fix: a 3.35 TiB MemoryError


def test_the_run_records_its_robot(small_run):
    assert yaml.safe_load((small_run / "config.yaml").read_text())["robot"] == "laikago_fast"
    assert read_metadata(latest_checkpoint(small_run)[1])["robot"] == "laikago_fast"
