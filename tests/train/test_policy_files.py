"""A policy carries, or refuses to run without, what it needs; nothing is unpickled unless asked (reliability audit
E11-E16, E20, E22, E33, X11-X14, B27, B31, S2)."""

from __future__ import annotations

import json
import pickle
import shutil
import zipfile
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import yaml

from envs.policies import pretrained_path
from envs.policies.files import METADATA_ENTRY, add_metadata, read_metadata, read_normalizer_json
from envs.policies.loading import PolicyLoadError, load_policy
from train.cli import main
from train.evaluate import evaluate

WALK = "laikago-walk-ppo"


def _copy(tmp_path: Path, name: str = "run") -> Path:
    run = tmp_path / name
    shutil.copytree(pretrained_path(WALK), run)
    return run


def _strip_metadata(model: Path) -> None:
    """Make ``model`` look like an older quadgait's model.zip (no quadgait.json entry)."""
    with zipfile.ZipFile(model) as src:
        entries = [(info, src.read(info.filename)) for info in src.infolist() if info.filename != METADATA_ENTRY]
    with zipfile.ZipFile(model, "w") as dst:
        for info, data in entries:
            dst.writestr(info, data)


def _pickled_normalizer(run: Path, path: Path) -> None:
    from stable_baselines3.common.vec_env import DummyVecEnv

    stats = read_normalizer_json(run / "vecnormalize.json")
    venv = DummyVecEnv([lambda: gym.make("quadgait/LaikagoWalk-v0", target_speed_mps=0.6)])
    try:
        stats.make_vec_normalize(venv).save(str(path))
    finally:
        venv.close()


def _legacy(tmp_path: Path, normalizer: str = "pkl") -> Path:
    """A run folder as older quadgait versions wrote it: bare model.zip, config.yaml, vecnormalize.pkl."""
    run = _copy(tmp_path, "legacy")
    _strip_metadata(run / "model.zip")
    if normalizer == "pkl":
        _pickled_normalizer(run, run / "vecnormalize.pkl")
    if normalizer != "json":
        (run / "vecnormalize.json").unlink()
    return run


def _error(capsys, argv: list[str], code: int = 2) -> str:
    assert main(argv) == code
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"quadgait {argv[0]}: error: "), err
    return err


def _same_numbers(a: dict, b: dict) -> bool:
    keep = ("distance_m", "mean_speed_mps", "heading_drift_deg", "fell", "command", "env_id", "robot")
    return {k: a[k] for k in keep} == {k: b[k] for k in keep}


def test_a_model_zip_copied_alone_runs_with_its_own_env_settings_and_normaliser(tmp_path):
    run = _copy(tmp_path)
    lone = tmp_path / "lone"
    lone.mkdir()
    shutil.copy(run / "model.zip", lone / "model.zip")
    meta = read_metadata(lone / "model.zip")
    assert (meta["env_id"], meta["env_kwargs"], meta["robot"], meta["normalize"]) == (
        "quadgait/LaikagoWalk-v0", {"target_speed_mps": 0.6}, "laikago_fast", True)
    # Before the fix this ran unnormalised in the default env (0.5 m/s target): a different controller.
    assert _same_numbers(evaluate(lone / "model.zip", seconds=1.0), evaluate(run, seconds=1.0))


def test_a_bare_model_without_metadata_or_config_is_refused_everywhere(tmp_path, capsys):
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(pretrained_path(WALK) / "model.zip", bare / "model.zip")
    _strip_metadata(bare / "model.zip")
    assert "carries no quadgait metadata" in _error(capsys, ["eval", str(bare), "--seconds", "1"])
    onnx = tmp_path / "bare.onnx"
    assert "carries no quadgait metadata" in _error(capsys, ["export", str(bare), "--onnx", str(onnx)])
    assert not onnx.exists()
    out = tmp_path / "bench"
    assert main(["bench", "--controller", str(bare), "--scenario", "flat-0.5", "--episodes", "1", "--out", str(out),
                 "--no-progress"]) == 3
    failure = json.loads((out / "results.json").read_text())["failures"][0]
    assert "carries no quadgait metadata" in failure["error"]


def _with_normalizer(run: Path, **change) -> None:
    data = json.loads((run / "vecnormalize.json").read_text())
    data["obs_rms"].update(change)
    (run / "vecnormalize.json").write_text(json.dumps(data))


@pytest.mark.parametrize("change, message", [
    ({"mean": [0.0], "var": [1.0]}, r"statistics have shape \(1,\), the policy's observation has shape \(46,\)"),
    ({"mean": [0.0] * 56, "var": [1.0] * 56}, r"shape \(56,\), the policy's observation has shape \(46,\)"),
    ({"var": [-1.0] * 46}, "var must be >= 0"),
    ({"mean": [float("nan")] * 46}, "mean and var must be finite"),
    ({"count": 0}, "must be > 0"),
])
def test_a_normaliser_that_does_not_fit_is_refused_at_load(tmp_path, capsys, change, message):
    run = _legacy(tmp_path, normalizer="json")
    _with_normalizer(run, **change)
    with pytest.raises(PolicyLoadError, match=message):
        load_policy(run)
    assert "corrupt normaliser" in _error(capsys, ["eval", str(run), "--seconds", "1"])
    assert "corrupt normaliser" in _error(capsys, ["export", str(run), "--onnx", str(tmp_path / "x.onnx")])
    assert not (tmp_path / "x.onnx").exists()


def test_a_normaliser_inside_the_zip_is_checked_too(tmp_path):
    run = _copy(tmp_path)
    meta = read_metadata(run / "model.zip")
    meta["normalizer"]["obs_rms"].update(mean=[0.0], var=[1.0])
    add_metadata(run / "model.zip", meta)
    with pytest.raises(PolicyLoadError, match=r"shape \(1,\), the policy's observation has shape \(46,\)"):
        load_policy(run)


def test_a_pickled_normaliser_is_never_loaded_without_trust_pickle(tmp_path, capsys):
    run = _legacy(tmp_path)
    marker = tmp_path / "PWNED"

    class Evil:
        def __reduce__(self):
            return open, (str(marker), "w")

    (run / "vecnormalize.pkl").write_bytes(pickle.dumps(Evil()))
    assert "is a pickle, which can run arbitrary code" in _error(capsys, ["eval", str(run), "--seconds", "1"])
    assert "is a pickle" in _error(capsys, ["export", str(run), "--onnx", str(tmp_path / "x.onnx")])
    out = tmp_path / "bench"
    main(["bench", "--controller", str(run), "--scenario", "flat-0.5", "--episodes", "1", "--out", str(out),
          "--no-progress", "--outside-range", "run"])
    assert "is a pickle" in json.loads((out / "results.json").read_text())["failures"][0]["error"]
    assert not marker.exists()  # the pickle never ran


def test_a_legacy_run_folder_runs_with_trust_pickle_and_converts_to_the_same_numbers(tmp_path, capsys):
    run = _legacy(tmp_path)
    want = evaluate(pretrained_path(WALK), seconds=1.0)
    assert _same_numbers(evaluate(run, seconds=1.0, trust_pickle=True), want)
    assert "--trust-pickle" in _error(capsys, ["convert", str(run)])
    assert main(["convert", str(run), "--trust-pickle"]) == 0
    assert read_metadata(run / "model.zip")["normalize"] and (run / "vecnormalize.json").is_file()
    (run / "vecnormalize.pkl").unlink()
    assert _same_numbers(evaluate(run, seconds=1.0), want)  # no pickle needed any more


def test_the_shipped_policies_ship_no_pickles():
    for name in (WALK, "laikago-trot-residual-ppo"):
        folder = pretrained_path(name)
        assert not list(folder.glob("*.pkl"))
        assert read_metadata(folder / "model.zip")["normalize"]


def test_run_config_errors_name_the_file(tmp_path, capsys):
    run = _legacy(tmp_path, normalizer="json")
    (run / "config.yaml").write_bytes(bytes(range(171, 255)))
    err = _error(capsys, ["eval", str(run), "--seconds", "1"])
    assert "corrupt run config" in err and "config.yaml" in err and "utf-8" in err  # E20
    (run / "config.yaml").write_text(yaml.safe_dump({"env_id": "CartPole-v1", "algo": "ppo", "hyperparams": {}}))
    assert "'CartPole-v1' is not a quadgait env" in _error(capsys, ["eval", str(run), "--seconds", "1"])  # E22


def test_export_of_a_lone_model_folds_its_normaliser_in(tmp_path, capsys):
    import onnxruntime as ort

    lone = tmp_path / "model.zip"
    shutil.copy(pretrained_path(WALK) / "model.zip", lone)
    assert main(["export", str(lone), "--onnx", str(tmp_path / "p.onnx")]) == 0
    assert "normalisation folded in" in capsys.readouterr().out
    session = ort.InferenceSession(str(tmp_path / "p.onnx"), providers=["CPUExecutionProvider"])
    shipped = ort.InferenceSession(str(pretrained_path(WALK) / "policy.onnx"), providers=["CPUExecutionProvider"])
    obs = np.random.default_rng(0).normal(size=(32, 46)).astype(np.float32)
    np.testing.assert_allclose(session.run(None, {"observation": obs})[0],
                               shipped.run(None, {"observation": obs})[0], atol=1e-5)


def test_bench_refuses_a_policy_on_another_robot(tmp_path, capsys):
    out = tmp_path / "bench"
    assert main(["bench", "--robot", "a1", "--controller", WALK, "--scenario", "flat-0.5", "--episodes", "1",
                 "--out", str(out), "--no-progress", "--outside-range", "run"]) == 3
    failure = json.loads((out / "results.json").read_text())["failures"][0]
    assert "trained on robot 'laikago_fast', the benchmark runs 'a1'" in failure["error"]


def test_loading_a_policy_unpickles_nothing(monkeypatch):
    import cloudpickle

    def refuse(*args, **kwargs):
        raise AssertionError("something was unpickled")

    for module, name in ((cloudpickle, "loads"), (cloudpickle, "load"), (pickle, "loads"), (pickle, "load")):
        monkeypatch.setattr(module, name, refuse)
    loaded = load_policy(pretrained_path("laikago-trot-residual-ppo"))  # before: SB3's .load unpickled data
    assert loaded.model.observation_space.shape == (56,) and loaded.normalizer is not None


def test_convert_checks_it_can_write_before_unpickling(tmp_path, capsys, monkeypatch):
    """Audit D12: a read-only run folder was unpickled first and then failed naming an internal temp file."""
    import tempfile

    import envs.policies.files as files
    import train.convert as convert

    run = _legacy(tmp_path)
    real_mkstemp = tempfile.mkstemp

    def read_only(*args, dir=None, **kwargs):  # what a read-only mount does (root ignores chmod)
        if dir is not None and Path(dir).resolve() == run.resolve():
            raise OSError(30, "Read-only file system")
        return real_mkstemp(*args, dir=dir, **kwargs)

    unpickled = []
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    monkeypatch.setattr(convert, "read_pickled_normalizer", lambda *a: unpickled.append(a))
    monkeypatch.setattr(files, "read_pickled_normalizer", lambda *a: unpickled.append(a))
    assert main(["convert", str(run), "--trust-pickle"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == f"quadgait convert: error: run folder '{run}': cannot write there (Read-only file system)"
    assert not unpickled
