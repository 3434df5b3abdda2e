"""Tampered and truncated policy files get one line naming the file and what is wrong, exit 2, on every entry
point, and are refused cheaply (reliability audit 2026-12, D3-D9). A seeded fuzz of ``quadgait.json`` checks the
same for the library loader: a mutated file either loads or raises :class:`PolicyLoadError`, nothing else."""

from __future__ import annotations

import copy
import json
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from envs.policies import pretrained_path
from envs.policies.files import METADATA_ENTRY
from envs.policies.loading import PolicyLoadError, describe_policy, load_policy
from train.cli import main

WALK_MODEL = pretrained_path("laikago-walk-ppo") / "model.zip"


def _entries(model: Path = WALK_MODEL) -> dict[str, bytes]:
    with zipfile.ZipFile(model) as archive:
        return {info.filename: archive.read(info.filename) for info in archive.infolist()}


def _metadata() -> dict:
    return json.loads(_entries()[METADATA_ENTRY])


def _write(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _with_meta(path: Path, meta, text: str | None = None) -> Path:
    return _write(path, {**_entries(), METADATA_ENTRY: (text if text is not None else json.dumps(meta)).encode()})


def _edit(change):
    meta = _metadata()
    change(meta)
    return meta


def _set(keys: tuple, value):
    def change(meta):
        node = meta
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return change


CRAFTED = {
    # D3: activation names outside the allow-list
    "act_sigmoid": (_set(("hyperparams", "policy_kwargs", "activation_fn"), "sigmoid"), "activation_fn must be one of"),
    "act_dunder": (_set(("hyperparams", "policy_kwargs", "activation_fn"), "__class__"),
                   "activation_fn must be one of"),
    "act_int": (_set(("hyperparams", "policy_kwargs", "activation_fn"), 3), "activation_fn must be one of"),
    # D5: env_kwargs that are not env settings
    "kw_render": (_set(("env_kwargs", "render_mode"), "human"), "unknown setting(s) 'render_mode'"),
    "kw_steps": (_set(("env_kwargs", "max_episode_steps"), 5), "unknown setting(s) 'max_episode_steps'"),
    "kw_unknown": (_set(("env_kwargs", "no_such"), 1), "unknown setting(s) 'no_such'"),
    "kw_huge": (_set(("env_kwargs", "target_speed_mps"), 1e300), "env_kwargs:"),
    "kw_list": (_set(("env_kwargs",), [1, 2]), "env_kwargs must be a mapping"),
    "kw_task": (_set(("env_kwargs", "task"), "velocity"), "'task' is set by the env id"),
    # D6: robot unvalidated or disagreeing with env_kwargs.robot
    "robot_trav": (_set(("robot",), "../../etc/passwd"), "robot '../../etc/passwd' is not a robot description"),
    "kw_robot_a1": (_set(("env_kwargs", "robot"), "a1"), "robot is 'laikago_fast' but env_kwargs.robot says 'a1'"),
    # D8: messages that name the field (and the index, not whole arrays)
    "lr_str": (_set(("hyperparams", "learning_rate"), "abc"), "hyperparams.learning_rate must be a finite number > 0"),
    "low_nan": (lambda m: m["observation_space"]["low"].__setitem__(7, float("nan")),
                "observation_space.low[7] must be a finite number"),
    "bounds_swap": (lambda m: m["action_space"].update(low=m["action_space"]["high"], high=m["action_space"]["low"]),
                    "action_space.low[0] = 1 is above action_space.high[0] = -1"),
    "obs2d": (_set(("observation_space", "shape"), [2, 23]), "observation_space.shape must be [n]"),
    "obshuge": (_set(("observation_space", "shape"), [10**9]), "observation_space.shape must be [n]"),
    "dtype_bogus": (_set(("observation_space", "dtype"), "object"), "observation_space.dtype must be float32"),
    "algo_evil": (_set(("algo",), "__class__"), "algo must be one of ppo, sac"),
    "policy_trav": (_set(("policy",), "../../os.system"), "policy must be one of MlpPolicy"),
    "pk_extra": (_set(("hyperparams", "policy_kwargs", "features_extractor_class"), "os.system"),
                 "policy_kwargs.features_extractor_class is not a setting quadgait writes"),
    "hp_list": (_set(("hyperparams",), [1]), "hyperparams must be a mapping"),
    "extra_field": (_set(("surprise",), 1), "unknown field(s) 'surprise'"),
    "env_trav": (_set(("env_id",), "quadgait/../../../etc/passwd"), "is not a quadgait env"),
    # D9: a network far wider than the weights
    "netarch_big": (_set(("hyperparams", "policy_kwargs", "net_arch"), {"pi": [6000, 6000], "vf": [6000, 6000]}),
                    "at most 8 layers of 1 to 4096 units"),
    "netarch_lie": (_set(("hyperparams", "policy_kwargs", "net_arch"), {"pi": [64, 64], "vf": [128, 128]}),
                    "net_arch gives pi layers [64, 64], its weights (policy.pth) have [128, 128]"),
    "netarch_str": (_set(("hyperparams", "policy_kwargs", "net_arch"), "big"), "must be a list of layer sizes"),
}


def _crafted_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    files = {name: (_with_meta(tmp_path / f"t_{name}.zip", _edit(change)), message)
             for name, (change, message) in CRAFTED.items()}
    entries = _entries()
    # D4: the SB3 data entry a JSON list
    files["data_list"] = (_write(tmp_path / "t_data_list.zip", {**entries, "data": b"[]"}),
                          "its data entry is a JSON list, not an object")
    # D8: JSON nested past the recursion limit, a NaN token
    files["meta_deep"] = (_write(tmp_path / "t_meta_deep.zip", {**entries, METADATA_ENTRY: b"[" * 100_000}),
                          "not JSON (nested too deeply)")
    nan_meta = json.dumps(_metadata()).replace('"learning_rate": 0.0003', '"learning_rate": NaN')
    files["meta_nanjson"] = (_write(tmp_path / "t_meta_nanjson.zip", {**entries, METADATA_ENTRY: nan_meta.encode()}),
                             "hyperparams.learning_rate must be a finite number > 0")
    # D9: a metadata entry that inflates to 40 MB (a 40 kB zip bomb)
    bomb = json.dumps(_metadata()).encode() + b" " * (40 << 20)
    files["meta_bomb"] = (_write(tmp_path / "t_meta_bomb.zip", {**entries, METADATA_ENTRY: bomb}),
                          "its entry 'quadgait.json' inflates to")
    # D7: truncated copies (the shorter ones still hold the end record of the zip inside policy.pth)
    data = WALK_MODEL.read_bytes()
    for name, size in (("trunc_100", 100), ("trunc_30000", 30_000), ("trunc_300000", 300_000),
                       ("trunc_end", len(data) - 10)):
        path = tmp_path / f"t_{name}.zip"
        path.write_bytes(data[:size])
        files[name] = (path, "corrupt or truncated policy file")
    return files


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    return _crafted_files(tmp_path_factory.mktemp("crafted"))


def _one_line_exit_2(capsys, argv, path, message):
    started = time.process_time()
    assert main(argv) == 2, argv
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"quadgait {argv[0]}: error: ")
    assert str(path) in lines[0] and message in lines[0], lines[0]
    assert time.process_time() - started < 5.0, "refused, but only after building what the file asks for"
    return lines[0]


@pytest.mark.parametrize("name", [*CRAFTED, "data_list", "meta_deep", "meta_nanjson", "meta_bomb",
                                  "trunc_100", "trunc_30000", "trunc_300000", "trunc_end"])
def test_a_crafted_policy_file_is_one_line_and_exit_2(crafted, capsys, tmp_path, name):
    path, message = crafted[name]
    _one_line_exit_2(capsys, ["eval", str(path), "--seconds", "0.1"], path, message)
    _one_line_exit_2(capsys, ["export", str(path), "--onnx", str(tmp_path / "x.onnx")], path, message)
    _one_line_exit_2(capsys, ["play", str(path), "--course", "figure-eight", "--seconds", "0.1"], path, message)
    assert not list(tmp_path.iterdir())


def test_bench_names_the_field_of_a_crafted_policy(crafted, capsys, tmp_path):
    path, message = crafted["act_sigmoid"]
    out = tmp_path / "b"
    code = main(["bench", "--no-progress", "--controller", str(path), "--scenario", "flat-0.5", "--episodes", "1",
                 "--outside-range", "run", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 3 and "Traceback" not in captured.err, captured.err
    failures = json.loads((out / "results.json").read_text())["failures"]
    assert len(failures) == 1 and message in failures[0]["error"] and str(path) in failures[0]["error"], failures


def test_the_shipped_policies_pass_every_check():
    from envs.policies import pretrained_names

    assert len(pretrained_names()) >= 4
    for name in pretrained_names():
        assert describe_policy(pretrained_path(name)).metadata["robot"] == "laikago_fast"


_JUNK = [None, True, False, -1, 0, 1e300, -1e-300, "x", "", [], {}, [[[]]], {"a": {"b": []}}, "../..", 2**64,
         float("nan"), float("inf"), [0.5] * 3, "MlpPolicy", "tanh"]


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list) and len(node) <= 4:
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))
    elif isinstance(node, list):  # long arrays (bounds, normaliser): a few of their elements
        for i in (0, len(node) - 1):
            yield (*prefix, i)


def test_fuzzed_metadata_loads_or_is_a_policy_load_error(tmp_path):
    rng = np.random.default_rng(19)
    base = _metadata()
    paths = [p for p in _paths(base) if p]
    loaded = refused = 0
    for case in range(120):
        meta = copy.deepcopy(base)
        for _ in range(int(rng.integers(1, 3))):
            where = paths[int(rng.integers(len(paths)))]
            node = meta
            try:
                for key in where[:-1]:
                    node = node[key]
                junk = _JUNK[int(rng.integers(len(_JUNK)))]
                if rng.random() < 0.15 and isinstance(node, dict):
                    node.pop(where[-1], None)
                else:
                    node[where[-1]] = copy.deepcopy(junk)
            except (KeyError, IndexError, TypeError):  # an earlier mutation replaced a parent
                pass
        path = _with_meta(tmp_path / f"fuzz_{case}.zip", meta, text=json.dumps(meta, allow_nan=True))
        try:
            load_policy(path)
            loaded += 1
        except PolicyLoadError as exc:
            assert "\n" not in str(exc) and str(path) in str(exc), (case, str(exc))
            refused += 1
        path.unlink()
    assert refused > 60, (loaded, refused)  # most mutations hit a checked field


def test_a_truncated_checkpoint_is_called_truncated_not_missing_its_normaliser(crafted):
    from train.checkpoints import checkpoint_normalizer

    path, _ = crafted["trunc_30000"]  # still holds the end record of the zip inside policy.pth
    with pytest.raises(PolicyLoadError, match="corrupt or truncated policy file .*no data or policy.pth entry"):
        checkpoint_normalizer(path, "quadgait/LaikagoWalk-v0", True, (46,), trust_pickle=False)
