"""Packaging: what an installed quadgait gives its users (``quadgait --version``, ``import quadgait``, the RL Zoo
hyperparameters) and, in a slow test, that the wheel and the sdist carry every file the code loads at run time.

The wheel installed into a fresh venv and run from outside the source tree is checked by ``.ci/run``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

import quadgait
from envs import ENV_IDS
from train.cli import main
from train.hyperparams import ACTIVATIONS, HYPERPARAMS_DIR, QUADGAIT_KEYS, load_hyperparams

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
ZOO_PPO = HYPERPARAMS_DIR / "zoo" / "ppo.yml"


def test_version_flag_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"quadgait {PROJECT['version']}\n"
    assert quadgait.__version__ == PROJECT["version"]


def test_quadgait_id_prefix_registers_the_envs_in_a_fresh_interpreter():
    # What a subprocess worker does: nothing imported, the "module:" prefix of the id imports quadgait first.
    code = ("import gymnasium as gym\n"
            "env = gym.make('quadgait:quadgait/LaikagoWalk-v0')\n"
            "print(env.reset(seed=0)[0].shape)\n"
            "print(sorted(i for i in gym.registry if i.startswith('quadgait/')))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    shape, ids = out.stdout.splitlines()
    assert shape == "(46,)"
    assert ast.literal_eval(ids) == sorted(ENV_IDS) and quadgait.ENV_IDS == ENV_IDS


# ---------------------------------------------------------------- RL Baselines3 Zoo hyperparameters


def _zoo_policy_kwargs(expression: str) -> dict:
    """Read the zoo's ``policy_kwargs`` string (``dict(..., activation_fn=nn.Tanh)``) as data, without eval."""
    names = {cls: name for name, cls in ACTIVATIONS.items()}

    def value(node: ast.AST):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
            return {kw.arg: value(kw.value) for kw in node.keywords}
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "nn":
            return names[node.attr]
        return ast.literal_eval(node)

    return value(ast.parse(expression, mode="eval").body)


def test_zoo_hyperparameters_are_ppo_yaml_translated():
    zoo = yaml.safe_load(ZOO_PPO.read_text())
    assert sorted(zoo) == sorted(ENV_IDS)
    for env_id, entry in zoo.items():
        ours = load_hyperparams("ppo", env_id)  # the entry for env_id, or ppo.yaml's default
        assert isinstance(entry["n_timesteps"], float) and entry["n_timesteps"] >= 1e6, env_id
        assert entry["policy"] == ours["policy"] and entry["n_envs"] == ours["n_envs"], env_id
        assert entry["normalize"] is ours["normalize"], env_id
        assert entry.get("env_kwargs", {}) == ours["env_kwargs"], env_id
        assert _zoo_policy_kwargs(entry["policy_kwargs"]) == ours["policy_kwargs"], env_id
        zoo_only = {"n_timesteps", "policy_kwargs"}
        algo_args = {k: v for k, v in entry.items() if k not in zoo_only and k not in QUADGAIT_KEYS}
        assert algo_args == {k: v for k, v in ours.items() if k not in QUADGAIT_KEYS}, env_id


# ---------------------------------------------------------------- the built distributions


def _runtime_files() -> set[str]:
    """Every non-Python file under the packages (policies, hyperparameters, ...) plus the URDFs, as installed."""
    files = {p.relative_to(ROOT).as_posix() for top in ("envs", "train", "quadgait") for p in (ROOT / top).rglob("*")
             if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts}
    files |= {f"envs/urdf/{p.name}" for p in (ROOT / "urdf").iterdir() if p.is_file()}
    return files


@pytest.mark.slow
def test_wheel_and_sdist_carry_every_runtime_file(tmp_path):
    pytest.importorskip("build")
    build = subprocess.run([sys.executable, "-m", "build", "--outdir", str(tmp_path), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    version = PROJECT["version"]
    wheel = zipfile.ZipFile(tmp_path / f"quadgait-{version}-py3-none-any.whl").namelist()
    expected = _runtime_files()
    assert {"envs/urdf/laikago_fast.urdf", "envs/policies/pretrained/laikago-walk-ppo/model.zip",
            "train/hyperparams/ppo.yaml", "train/hyperparams/zoo/ppo.yml"} <= expected
    assert expected <= set(wheel), sorted(expected - set(wheel))
    assert "quadgait/__init__.py" in wheel and not any(n.startswith(("tests/", "urdf/")) for n in wheel)
    with tarfile.open(tmp_path / f"quadgait-{version}.tar.gz") as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    assert {"urdf/laikago_fast.urdf", "pyproject.toml", "LICENSE", "constraints.txt"} <= names
    assert {f.replace("envs/urdf/", "urdf/") for f in expected} <= names
