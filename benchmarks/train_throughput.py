"""Training throughput: env steps/s of ``quadgait train`` beside the env-only rate of the same number of processes.

Usage (from the repository root)::

    python -m benchmarks.train_throughput [--envs 2] [--timesteps 40000] [--env-steps 6000] [--repeats 2]
                                          [--hyperparams FILE.yaml] [--compare] [--cli]

Prints Markdown tables. Rows, interleaved, best of ``repeats``:

* **env only**: the training's own vector env (``train.training.make_vec_env``: one process per env, Monitor, the
  training episode length) stepping random actions, ``--env-steps`` env steps after start-up;
* **train**: :func:`train.training.train` (PPO) for ``--timesteps`` env steps into a temporary folder, in this
  process: ``end to end`` counts from the call (env processes, model, evaluation env) to the return (final model
  written); ``learning`` counts ``model.learn`` only;
* ``--compare``: also train with this branch's speedups switched off (SB3's forward, evaluation in the main process);
* ``--cli``: also time the command line, ``python -m train.cli train ...`` (interpreter and imports included).

The ratio ``train / env only`` is the issue-14 figure (target 0.8 on 2 cores). The hyperparameters are
LaikagoWalk-v0's packaged PPO entry with ``n_envs = --envs`` (1024 steps per env per update, 5 epochs of batches of
256, evaluation of one 20 s episode every 20000 steps, a checkpoint only at the end) unless ``--hyperparams`` gives a
file. On Linux the tables add the CPU time of the main process and of the env processes per env step, which a busy
machine disturbs less than the wall clock.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ENV_ID = "quadgait/LaikagoWalk-v0"
HYPERPARAMS = {
    "normalize": True, "policy": "MlpPolicy",
    "policy_kwargs": {"net_arch": {"pi": [128, 128], "vf": [128, 128]}, "activation_fn": "tanh", "log_std_init": -1.0},
    "learning_rate": 3.0e-4, "n_steps": 1024, "batch_size": 256, "n_epochs": 5, "gamma": 0.99, "gae_lambda": 0.95,
    "clip_range": 0.2, "ent_coef": 0.0, "vf_coef": 0.5, "max_grad_norm": 0.5, "env_kwargs": {"target_speed_mps": 0.6},
    "eval_freq": 20000, "checkpoint_freq": 0, "eval_episodes": 1, "eval_seconds": 20.0,
}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), s; NaN where unavailable."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def env_only(n_envs: int, env_kwargs: dict, max_steps: int, env_steps: int) -> dict:
    from train.training import make_vec_env

    start = time.perf_counter()
    venv = make_vec_env(ENV_ID, env_kwargs, n_envs, max_steps)
    try:
        venv.reset()
        startup = time.perf_counter() - start
        pids = [p.pid for p in getattr(venv, "processes", [])]
        rng = np.random.default_rng(0)
        shape = (n_envs, *venv.action_space.shape)
        vec_steps = max(1, env_steps // n_envs)
        workers0 = [cpu_seconds(p) for p in pids]
        main0, t0 = time.process_time(), time.perf_counter()
        for _ in range(vec_steps):
            venv.step(rng.uniform(-1.0, 1.0, shape).astype(np.float32))
        wall = time.perf_counter() - t0
        main = time.process_time() - main0
        workers = [cpu_seconds(p) - w for p, w in zip(pids, workers0)]
    finally:
        venv.close()
    steps = vec_steps * n_envs
    return {"steps": steps, "rate": steps / wall, "startup_s": startup, "main_us": 1e6 * main / steps,
            "worker_us": 1e6 * (np.mean(workers) if workers else float("nan")) * n_envs / steps}


def train_run(n_envs: int, timesteps: int, hyperparams: Path, speedups: bool) -> dict:
    import train.training as training
    from stable_baselines3.common.callbacks import BaseCallback

    class Clock(BaseCallback):
        def _on_training_start(self) -> None:
            self.start = time.perf_counter()
            self.main0 = time.process_time()
            self.pids = [p.pid for p in getattr(self.training_env.unwrapped, "processes", [])]
            self.workers0 = [cpu_seconds(p) for p in self.pids]

        def _on_step(self) -> bool:
            return True

        def _on_training_end(self) -> None:
            self.end = time.perf_counter()
            self.main = time.process_time() - self.main0
            self.workers = [cpu_seconds(p) - w for p, w in zip(self.pids, self.workers0)]
            self.steps = self.num_timesteps

    original = training.Speedups
    if not speedups:
        training.Speedups = _NoSpeedups
    out = Path(tempfile.mkdtemp(prefix="quadgait-throughput-"))
    clock = Clock()
    try:
        start = time.perf_counter()
        training.train(ENV_ID, "ppo", timesteps, n_envs, 0, out / "run", hyperparams_path=hyperparams,
                       progress=False, callbacks=[clock])
        total = time.perf_counter() - start
    finally:
        training.Speedups = original
        shutil.rmtree(out, ignore_errors=True)
    steps = clock.steps
    return {"steps": steps, "rate": steps / total, "learn_rate": steps / (clock.end - clock.start),
            "startup_s": clock.start - start, "main_us": 1e6 * clock.main / steps,
            "worker_us": 1e6 * (np.mean(clock.workers) if clock.workers else float("nan")) * n_envs / steps}


class _NoSpeedups:
    """Stand-in for train.throughput.Speedups: SB3's forward, evaluation in the main process."""

    def __init__(self, model, evaluator, *args) -> None:
        self.evaluator, self.callbacks = evaluator, []

    def close(self) -> None:
        pass


def cli_run(n_envs: int, timesteps: int, hyperparams: Path) -> float:
    out = Path(tempfile.mkdtemp(prefix="quadgait-throughput-cli-"))
    try:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "train.cli", "train", "--env", ENV_ID, "--timesteps", str(timesteps),
                        "--envs", str(n_envs), "--out", str(out / "run"), "--hyperparams", str(hyperparams),
                        "--no-progress"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return timesteps / (time.perf_counter() - start)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", type=int, default=2, help="env processes (default 2)")
    parser.add_argument("--timesteps", type=int, default=40000, help="env steps per training run (default 40000)")
    parser.add_argument("--env-steps", type=int, default=6000, help="env steps of the env-only run (default 6000)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--hyperparams", type=Path, default=None, help="hyperparameter file (default: see above)")
    parser.add_argument("--compare", action="store_true", help="also train without this branch's speedups")
    parser.add_argument("--cli", action="store_true", help="also time the quadgait train command line")
    args = parser.parse_args()

    from envs.registry import episode_steps
    from train.hyperparams import load_hyperparams

    tmp = Path(tempfile.mkdtemp(prefix="quadgait-hp-"))
    hp_file = args.hyperparams
    if hp_file is None:
        hp_file = tmp / "hp.yaml"
        hp_file.write_text(yaml.safe_dump({ENV_ID: {**HYPERPARAMS, "n_envs": args.envs}}))
    hp = load_hyperparams("ppo", ENV_ID, hp_file)
    max_steps = episode_steps(hp["episode_seconds"], hp["env_kwargs"])
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"# quadgait train throughput: {ENV_ID}, {args.envs} env processes, {cores} cores; training runs of "
          f"{args.timesteps} steps (n_steps {hp['n_steps']}, batch {hp['batch_size']}, {hp['n_epochs']} epochs, "
          f"evaluation every {hp['eval_freq']} steps); best of {args.repeats}, wall clock\n")
    runs: dict[str, list[dict]] = {}
    for _ in range(args.repeats):
        runs.setdefault("env only", []).append(env_only(args.envs, hp["env_kwargs"], max_steps, args.env_steps))
        runs.setdefault("train", []).append(train_run(args.envs, args.timesteps, hp_file, speedups=True))
        if args.compare:
            runs.setdefault("train, speedups off", []).append(
                train_run(args.envs, args.timesteps, hp_file, speedups=False))
        if args.cli:
            runs.setdefault("quadgait train (command line)", []).append(
                {"rate": cli_run(args.envs, args.timesteps, hp_file)})
    shutil.rmtree(tmp, ignore_errors=True)

    best = {name: max(rs, key=lambda r: r["rate"]) for name, rs in runs.items()}
    base = best["env only"]["rate"]
    print("| run | env steps/s, end to end | / env only | env steps/s, learning only | / env only | start-up (s) | "
          "main CPU µs per env step | env-process CPU µs per env step |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in best.items():
        learn = r.get("learn_rate")
        learn_cells = f"{learn:.0f} | {learn / base:.2f}" if learn else "- | -"
        startup = f"{r['startup_s']:.1f}" if "startup_s" in r else "-"
        cpu = f"{r['main_us']:.0f} | {r['worker_us']:.0f}" if "main_us" in r else "- | -"
        print(f"| {name} | {r['rate']:.0f} | {r['rate'] / base:.2f} | {learn_cells} | {startup} | {cpu} |")


if __name__ == "__main__":
    main()
