"""``quadgait train / eval / export``: run folder, resume (also after SIGKILL), evaluation, ONNX, errors.

Tiny networks and a few thousand steps: these test the machinery, not learning.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import yaml

from envs.policies.files import add_metadata, policy_metadata, read_metadata, read_normalizer_json
from train.cli import main
from train.evaluate import evaluate
from train.hyperparams import load_hyperparams, valid_keys
from train.training import latest_checkpoint, train

REPO = Path(__file__).resolve().parents[2]
TINY = {  # 2 envs x 64 steps = 128 steps per PPO update
    "n_envs": 2, "normalize": True, "policy": "MlpPolicy",
    "policy_kwargs": {"net_arch": {"pi": [16], "vf": [16]}, "activation_fn": "tanh", "log_std_init": -1.0},
    "learning_rate": 3.0e-4, "n_steps": 64, "batch_size": 64, "n_epochs": 1,
    "env_kwargs": {"target_speed_mps": 0.4}, "episode_seconds": 1.0,
    "eval_freq": 512, "checkpoint_freq": 512, "eval_episodes": 1, "eval_seconds": 0.4,
}


def _hyperparams(tmp_path: Path, name: str = "hp.yaml", **changes) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"quadgait/LaikagoWalk-v0": {**TINY, **changes}}))
    return path


def _normalizer(path: Path):
    """The normaliser state in a vecnormalize.json or inside a policy zip."""
    return read_metadata(path)["normalizer_stats"] if path.suffix == ".zip" else read_normalizer_json(path)


def _eval_steps(run: Path) -> list[int]:
    lines = (run / "eval.csv").read_text().splitlines()
    assert lines[0] == ("step,wall_clock_s,mean_speed_mps,fell,distance_m,tracking_error_xy_mps,"
                        "tracking_error_yaw_radps,stood_still")
    return [int(line.split(",")[0]) for line in lines[1:]]


def test_train_resume_evaluate_export(tmp_path, capsys):
    import onnxruntime as ort
    from stable_baselines3 import PPO

    run = tmp_path / "run"
    train("quadgait/LaikagoWalk-v0", "ppo", 2048, None, 0, run, hyperparams_path=_hyperparams(tmp_path),
          progress=False, command="quadgait train (test)")
    assert {p.name for p in run.iterdir()} == {"model.zip", "vecnormalize.json", "config.yaml", "command.txt", "tb",
                                               "checkpoints", "eval.csv"}
    assert {p.name for p in (run / "checkpoints").iterdir()} == {f"ckpt_{step}.zip" for step in (512, 1024, 1536, 2048)}
    meta = read_metadata(run / "model.zip")  # the model carries what it needs to run
    assert (meta["env_id"], meta["env_kwargs"], meta["robot"], meta["normalize"]) == (
        "quadgait/LaikagoWalk-v0", {"target_speed_mps": 0.4}, "laikago_fast", True)
    np.testing.assert_array_equal(meta["normalizer_stats"].obs_mean, _normalizer(run / "vecnormalize.json").obs_mean)
    assert list((run / "tb").rglob("events.out.tfevents.*"))
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert (config["env_id"], config["algo"], config["seed"], config["n_envs"], config["timesteps"]) == (
        "quadgait/LaikagoWalk-v0", "ppo", 0, 2, 2048)
    assert config["hyperparams"]["n_steps"] == 64 and config["env_kwargs"]["target_speed_mps"] == 0.4
    assert config["quadgait_version"]
    assert _eval_steps(run) == [512, 1024, 1536, 2048]
    assert PPO.load(run / "model.zip", device="cpu").num_timesteps == 2048

    # Resume to a larger total: the count continues from the last checkpoint (2048), it does not restart.
    train(None, None, 3072, None, 1, None, resume=run, progress=False, command="quadgait train --resume (test)")
    assert PPO.load(run / "model.zip", device="cpu").num_timesteps == 3072
    assert latest_checkpoint(run)[0] == 3072
    assert _eval_steps(run) == [512, 1024, 1536, 2048, 2560, 3072]
    assert yaml.safe_load((run / "config.yaml").read_text())["resumed_from"]["checkpoint_step"] == 2048
    assert len((run / "command.txt").read_text().splitlines()) == 2
    rows = [line.split(",") for line in (run / "eval.csv").read_text().splitlines()[1:]]
    assert all(float(a[1]) <= float(b[1]) for a, b in zip(rows, rows[1:], strict=False))  # the wall clock carries over

    summary = evaluate(run, seconds=1.0, seed=0)
    for key in ("distance_m", "mean_speed_mps", "heading_drift_deg", "fell", "metrics"):
        assert key in summary
    for key in ("distance_m", "mean_speed_mps", "heading_drift_deg"):
        assert np.isfinite(summary[key])
    assert summary["command"]["vx_mps"] == 0.4  # env settings come from config.yaml
    capsys.readouterr()
    assert main(["eval", str(run / "checkpoints" / "ckpt_512.zip"), "--seconds", "0.5", "--json"]) in (0, 3)
    line = capsys.readouterr().out.strip()
    assert json.loads(line)["env_id"] == "quadgait/LaikagoWalk-v0" and "\n" not in line

    onnx_path = tmp_path / "policy.onnx"
    assert main(["export", str(run), "--onnx", str(onnx_path)]) == 0
    model, stats = PPO.load(run / "model.zip", device="cpu"), _normalizer(run / "vecnormalize.json")
    rng = np.random.default_rng(1)
    std = np.sqrt(stats.obs_var)
    raw = (stats.obs_mean + rng.normal(size=(200, 46)) * std * 3).astype(np.float32)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"observation": raw})[0]
    want, _ = model.predict(stats.observation_normalizer()(raw).astype(np.float32), deterministic=True)
    assert got.shape == (200, 12)
    assert np.max(np.abs(got - want)) < 1e-5


def test_killed_training_resumes_from_its_last_checkpoint(tmp_path):
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback

    run = tmp_path / "run"
    hp = _hyperparams(tmp_path, checkpoint_freq=256, eval_freq=128)
    log = open(tmp_path / "train.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "train.cli", "train", "--timesteps", "1000000", "--seed", "0",
                             "--out", str(run), "--hyperparams", str(hp), "--no-progress"],
                            cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while not list((run / "checkpoints").glob("ckpt_*.zip")):
            assert proc.poll() is None, (tmp_path / "train.log").read_text()
            assert time.monotonic() < deadline, "no checkpoint within 180 s"
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGKILL)  # the trainer and its env worker processes
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        log.close()
    assert proc.returncode == -signal.SIGKILL
    assert not (run / "model.zip").exists()
    step, ckpt = latest_checkpoint(run)
    for zip_file in (run / "checkpoints").glob("ckpt_*.zip"):  # every checkpoint carries its normaliser
        assert read_metadata(zip_file)["normalize"] and _normalizer(zip_file).obs_count > 0
    saved = _normalizer(ckpt)
    assert PPO.load(ckpt, device="cpu").num_timesteps == step

    class Probe(BaseCallback):
        def _on_training_start(self) -> None:
            env = self.training_env
            self.start_step = self.model.num_timesteps
            self.rms = env.obs_rms.copy()
            self.reset_obs = env.get_original_obs()

        def _on_step(self) -> bool:
            return True

    probe = Probe()
    train(None, None, step + 256, None, 0, None, resume=run, progress=False, callbacks=[probe])
    assert probe.start_step == step
    # The loaded normaliser is the checkpoint's: its statistics plus the two reset observations, exactly.
    from stable_baselines3.common.running_mean_std import RunningMeanStd

    expected = RunningMeanStd(shape=saved.obs_mean.shape)
    expected.mean, expected.var, expected.count = saved.obs_mean.copy(), saved.obs_var.copy(), saved.obs_count
    expected.update(probe.reset_obs)
    assert probe.rms.count == pytest.approx(expected.count, rel=1e-12)
    np.testing.assert_allclose(probe.rms.mean, expected.mean, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(probe.rms.var, expected.var, rtol=1e-9, atol=1e-12)
    assert PPO.load(run / "model.zip", device="cpu").num_timesteps == step + 256
    final = _normalizer(run / "vecnormalize.json")
    assert final.obs_count == pytest.approx(saved.obs_count + 2 + 256)  # reset + 256 steps on top of the checkpoint's
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["resumed_from"] == {"run": str(run), "checkpoint_step": step,
                                      "normalizer_count": pytest.approx(saved.obs_count)}
    assert (config["n_envs"], config["seed"]) == (2, 0)  # the recorded ones, not the defaults (R09)
    steps = _eval_steps(run)
    assert steps == sorted(set(steps)) and steps[-1] == step + 256  # rows after the checkpoint were dropped
    assert not list((run / "checkpoints").glob(".*"))  # no temp file of an interrupted write is left


def test_sac_trains_and_exports(tmp_path):
    hp = tmp_path / "sac.yaml"
    hp.write_text(yaml.safe_dump({"default": {
        "n_envs": 1, "normalize": False, "policy_kwargs": {"net_arch": [16], "log_std_init": -3.0},
        "buffer_size": 1000, "learning_starts": 50, "batch_size": 32, "train_freq": 8, "gradient_steps": 1,
        "use_sde": True, "eval_freq": 0, "checkpoint_freq": 0, "eval_seconds": 0.2}}))
    run = train("quadgait/LaikagoWalk-v0", "sac", 200, None, 0, tmp_path / "sac", hyperparams_path=hp,
                progress=False)
    assert not (run / "vecnormalize.json").exists() and read_metadata(run / "model.zip")["normalize"] is False
    assert latest_checkpoint(run)[0] == 200  # a checkpoint is always written at the end
    assert main(["export", str(run), "--onnx", str(tmp_path / "sac.onnx")]) == 0


def test_packaged_hyperparameters_are_valid():
    ppo = load_hyperparams("ppo", "quadgait/LaikagoWalk-v0")
    assert ppo["n_steps"] * ppo["n_envs"] % ppo["batch_size"] == 0 and ppo["normalize"] is True
    assert load_hyperparams("sac", "quadgait/LaikagoWalk-v0")["policy_kwargs"]["activation_fn"] == "relu"
    assert load_hyperparams("ppo", "quadgait/SomethingElse-v0")["policy"] == "MlpPolicy"  # the default entry
    assert "n_epochs" in valid_keys("ppo") and "tau" in valid_keys("sac") and "eval_seconds" in valid_keys("sac")


@pytest.mark.parametrize("entry, message", [
    ({"n_step": 64}, "unknown key 'n_step'; valid keys: batch_size,"),
    ({"learning_rate": "3e-4"}, "learning_rate: expected a number > 0, got '3e-4'"),
    ({"policy_kwargs": {"activation_fn": "sigmoid"}}, "policy_kwargs.activation_fn: expected one of tanh, relu"),
    ({"policy_kwargs": {"features_extractor_class": "os.system"}}, "'features_extractor_class' cannot be set"),
    ({"seed": 3}, "'seed' cannot be set in a hyperparameter file: it is set by --seed"),
    ({"n_envs": 0}, "n_envs: expected an integer in [1, 256]"),
    ({"gamma": "!!python/object/apply:os.system ['true']"}, "gamma: expected a number in [0, 1]"),
])
def test_bad_hyperparameters_name_the_key(tmp_path, entry, message):
    path = tmp_path / "hp.yaml"
    path.write_text(yaml.safe_dump({"default": entry}))
    with pytest.raises(ValueError) as exc:
        load_hyperparams("ppo", "quadgait/LaikagoWalk-v0", path)
    assert message in str(exc.value)


def test_yaml_tags_are_never_evaluated(tmp_path):
    path = tmp_path / "hp.yaml"
    path.write_text("default:\n  n_steps: !!python/object/apply:os.getpid []\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_hyperparams("ppo", "quadgait/LaikagoWalk-v0", path)


class _SmallObsEnv(gym.Env):
    observation_space = gym.spaces.Box(-1.0, 1.0, (10,), np.float32)
    action_space = gym.spaces.Box(-1.0, 1.0, (12,), np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(10, np.float32), {}

    def step(self, action):
        return np.zeros(10, np.float32), 0.0, False, False, {}


def _one_line_error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"quadgait {argv[0]}: error: ")
    return err


def test_cli_errors(tmp_path, capsys):
    out = tmp_path / "out"
    train_args = ["train", "--timesteps", "100", "--out", str(out), "--no-progress"]
    assert "unknown algorithm 'dqn'; valid: ppo, sac" in _one_line_error(capsys, [*train_args, "--algo", "dqn"])
    err = _one_line_error(capsys, [*train_args, "--env", "quadgait/Nope-v0"])
    assert "unknown env id 'quadgait/Nope-v0'; registered: " in err and "quadgait/LaikagoWalk-v0" in err
    hp = _hyperparams(tmp_path, n_step=64)
    assert "unknown key 'n_step'" in _one_line_error(capsys, [*train_args, "--hyperparams", str(hp)])
    assert not out.exists()  # nothing is created before the arguments are checked

    missing = tmp_path / "missing"
    assert "no run folder or model at" in _one_line_error(capsys, ["eval", str(missing)])
    assert "no run folder at" in _one_line_error(capsys, ["train", "--resume", str(missing), "--timesteps", "9"])
    assert "no policy at" in _one_line_error(capsys, ["export", str(missing), "--onnx", str(tmp_path / "p.onnx")])

    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "model.zip").write_bytes(b"not a zip archive")
    assert "not a stable-baselines3 model" in _one_line_error(capsys, ["eval", str(corrupt)])
    assert "not a stable-baselines3 model" in _one_line_error(
        capsys, ["export", str(corrupt), "--onnx", str(tmp_path / "p.onnx")])
    assert not (tmp_path / "p.onnx").exists()
    (corrupt / "config.yaml").write_text(yaml.safe_dump({"env_id": "quadgait/LaikagoWalk-v0", "algo": "ppo",
                                                         "hyperparams": TINY}))
    resume = ["train", "--resume", str(corrupt), "--timesteps", "9999", "--no-progress"]
    assert "has no checkpoint" in _one_line_error(capsys, resume)
    (corrupt / "checkpoints").mkdir()
    (corrupt / "checkpoints" / "ckpt_128.zip").write_bytes(b"garbage")
    assert "corrupt checkpoint" in _one_line_error(capsys, resume)


def test_model_for_another_observation_space_is_rejected(tmp_path, capsys):
    from stable_baselines3 import PPO

    run = tmp_path / "other"
    run.mkdir()
    env = _SmallObsEnv()
    PPO("MlpPolicy", env, n_steps=64, batch_size=64, policy_kwargs={"net_arch": [8]},
        device="cpu").save(run / "model.zip")
    add_metadata(run / "model.zip", policy_metadata(
        algo="ppo", hyperparams={"policy": "MlpPolicy", "policy_kwargs": {"net_arch": [8]}},
        env_id="quadgait/LaikagoWalk-v0", env_kwargs={}, robot="laikago_fast", observation_space=env.observation_space,
        action_space=env.action_space, normalizer=None))
    err = _one_line_error(capsys, ["eval", str(run), "--seconds", "1"])
    assert "observation_space differs: the model expects Box(-1.0, 1.0, (10,), float32)" in err


def test_a_second_train_into_a_folder_being_created_names_the_run_holding_it(tmp_path, capsys, monkeypatch):
    """Audit D10: two trains started together into a new folder; the second saw "Directory not empty" (its
    cleanup tripped over the first one's lock file) instead of the lock's message."""
    import contextlib

    import train.training as training
    from train.run_guard import run_lock

    out = tmp_path / "race"
    other = contextlib.ExitStack()
    # The other train takes the lock between this one's output-folder check and its own lock.
    monkeypatch.setattr(training, "_warn_if_short_of_memory", lambda n_envs: other.enter_context(run_lock(out)))
    with other:
        code = main(["train", "--timesteps", "128", "--out", str(out), "--hyperparams", str(_hyperparams(tmp_path)),
                     "--no-progress"])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and err == [f"quadgait train: error: run folder '{out}' is in use by another quadgait train "
                                     f"(pid {os.getpid()}); wait for it to finish or choose another --out"], err
        assert out.is_dir()  # the other run's folder is left alone
