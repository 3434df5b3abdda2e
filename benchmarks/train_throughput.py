"""Training throughput: env steps/s of ``quadgait train`` beside the env-only rate of the same number of processes.

Usage (from the repository root)::

    python -m benchmarks.train_throughput [--envs 2] [--timesteps 40000] [--env-steps 6000] [--repeats 2]
                                          [--hyperparams FILE.yaml] [--compare] [--cli]

Prints Markdown tables. Rows, interleaved, best of ``repeats``:

* **env only**: the training's own vector env (``train.training.make_vec_env``: one process per env, episode
  statistics, the training episode length) stepping random actions, ``--env-steps`` env steps after start-up;
* **train**: :func:`train.training.train` (PPO) for ``--timesteps`` env steps into a temporary folder, in this
  process: ``end to end`` counts from the call (env processes, model, evaluation env) to the return (final model
  written); ``learning`` counts ``model.learn`` only;
* ``--compare``: also train with this branch's speedups switched off (stable-baselines3's forward, its
  ``SubprocVecEnv`` whose env processes import torch, evaluation in the main process): the code before issue 14;
* ``--cli``: also time the command line, ``python -m train.cli train ...`` (interpreter and imports included).

The ratio ``train / env only`` is the issue-14 figure (target 0.8 on 2 cores). The hyperparameters are
LaikagoWalk-v0's packaged PPO entry with ``n_envs = --envs`` (1024 steps per env per update, 5 epochs of batches of
256, evaluation of one 20 s episode every 20000 steps, a checkpoint only at the end) unless ``--hyperparams`` gives a
file. A short training run first pays the one-off imports (torch's compiler stack, which the first optimizer pulls
in); the runs then alternate their order between repeats.

On a busy machine the wall clock says more about the other processes than about training, so on Linux the table
adds each run's CPU time per env step, of the main process and of an env process, and an **idle-machine model**
computed from them: collection is synchronous (the main process and the env processes take turns; the env
processes run side by side), and no more processes than cores run at once, so an env step takes
``max(main + env process, (main + all env processes + evaluation worker) / cores)`` of CPU time.
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
        workers = [cpu_seconds(p) - w for p, w in zip(pids, workers0, strict=True)]
    finally:
        venv.close()
    steps = vec_steps * n_envs
    return {"steps": steps, "rate": steps / wall, "startup_s": startup, "main_us": 1e6 * main / steps,
            "worker_us": 1e6 * (np.mean(workers) if workers else float("nan")) * n_envs / steps,
            "model_rate": model_rate(steps, main, workers)}


def train_run(n_envs: int, timesteps: int, hyperparams: Path, speedups: bool) -> dict:
    from stable_baselines3.common.callbacks import BaseCallback

    import train.throughput as throughput
    import train.training as training

    made: list = []

    class RecordingSpeedups(throughput.Speedups):
        def __init__(self, *args) -> None:
            super().__init__(*args)
            made.append(self)

    class Clock(BaseCallback):
        def _on_training_start(self) -> None:
            self.start = time.perf_counter()
            self.main0 = time.process_time()
            self.pids = [p.pid for p in getattr(self.training_env.unwrapped, "processes", [])]
            self.workers0 = [cpu_seconds(p) for p in self.pids]

        def _on_step(self) -> bool:
            return True

        def _on_training_end(self) -> None:  # (runs after the evaluation worker delivered its last result)
            self.end = time.perf_counter()
            self.main = time.process_time() - self.main0
            self.workers = [cpu_seconds(p) - w for p, w in zip(self.pids, self.workers0, strict=True)]
            worker = getattr(made[0].evaluator, "_process", None) if made else None
            self.eval = cpu_seconds(worker.pid) if worker is not None else 0.0
            self.steps = self.num_timesteps

    patches = {(training, "Speedups"): RecordingSpeedups if speedups else _NoSpeedups}
    if not speedups:
        patches[(throughput, "make_vec_env")] = _sb3_vec_env
    originals = {key: getattr(*key) for key in patches}
    for (module, name), value in patches.items():
        setattr(module, name, value)
    out = Path(tempfile.mkdtemp(prefix="quadgait-throughput-"))
    clock = Clock()
    try:
        start = time.perf_counter()
        training.train(ENV_ID, "ppo", timesteps, n_envs, 0, out / "run", hyperparams_path=hyperparams,
                       progress=False, callbacks=[clock])
        total = time.perf_counter() - start
    finally:
        for (module, name), value in originals.items():
            setattr(module, name, value)
        shutil.rmtree(out, ignore_errors=True)
    steps = clock.steps
    return {"steps": steps, "rate": steps / total, "learn_rate": steps / (clock.end - clock.start),
            "startup_s": clock.start - start, "main_us": 1e6 * clock.main / steps,
            "worker_us": 1e6 * (np.mean(clock.workers) if clock.workers else float("nan")) * n_envs / steps,
            "model_rate": model_rate(steps, clock.main, clock.workers, clock.eval)}


def model_rate(steps: int, main_s: float, workers_s: list[float], eval_s: float = 0.0) -> float:
    """Env steps/s predicted for an idle machine from the processes' CPU times: collection is synchronous (the
    main process and the env processes take turns, the env processes run side by side), and no more than the
    machine's cores can run at once."""
    if not workers_s or not np.isfinite(workers_s).all():
        return float("nan")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    turns = main_s + float(np.mean(workers_s))
    capacity = (main_s + float(np.sum(workers_s)) + eval_s) / cores
    return steps / max(turns, capacity)


class _NoSpeedups:
    """Stand-in for train.throughput.Speedups: SB3's forward, evaluation in the main process."""

    def __init__(self, model, evaluator, *args) -> None:
        self.evaluator, self.callbacks = evaluator, []

    def close(self) -> None:
        pass


def _sb3_vec_env(env_id: str, env_kwargs: dict, n_envs: int, max_episode_steps: int | None = None):
    """The vector env before this branch: SB3's SubprocVecEnv and Monitor (env processes import torch)."""
    import functools

    from stable_baselines3.common.vec_env import SubprocVecEnv

    return SubprocVecEnv([functools.partial(_monitored_env, env_id, dict(env_kwargs), max_episode_steps)
                          for _ in range(n_envs)])


def _monitored_env(env_id: str, env_kwargs: dict, max_episode_steps: int | None = None):
    """The training env as it was before: SB3's Monitor around it."""
    import gymnasium as gym
    from stable_baselines3.common.monitor import Monitor

    import envs  # noqa: F401  (registers the ids)

    return Monitor(gym.make(env_id, max_episode_steps=max_episode_steps, **env_kwargs))


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
    jobs = {"env only": lambda: env_only(args.envs, hp["env_kwargs"], max_steps, args.env_steps),
            "train": lambda: train_run(args.envs, args.timesteps, hp_file, speedups=True)}
    if args.compare:
        jobs["train, speedups off"] = lambda: train_run(args.envs, args.timesteps, hp_file, speedups=False)
    if args.cli:
        jobs["quadgait train (command line)"] = lambda: {"rate": cli_run(args.envs, args.timesteps, hp_file)}
    warm = tmp / "warm.yaml"  # one short run first: the first training in a process pays one-off imports
    warm.write_text(yaml.safe_dump({ENV_ID: {**HYPERPARAMS, "n_envs": args.envs, "n_steps": 64, "batch_size": 64,
                                             "eval_freq": 0}}))
    train_run(args.envs, 64 * args.envs, warm, speedups=True)
    runs: dict[str, list[dict]] = {}
    for repeat in range(args.repeats):
        order = list(jobs) if repeat % 2 == 0 else list(reversed(jobs))  # no run always goes first
        for name in order:
            runs.setdefault(name, []).append(jobs[name]())
    shutil.rmtree(tmp, ignore_errors=True)

    best = {name: max(rs, key=lambda r: r["rate"]) for name, rs in runs.items()}
    base = best["env only"]
    print("| run | env steps/s, end to end | / env only | env steps/s, learning only | / env only | start-up (s) | "
          "main CPU µs per env step | env-process CPU µs per env step | idle-machine model, steps/s | / env only |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in best.items():
        learn = r.get("learn_rate")
        learn_cells = f"{learn:.0f} | {learn / base['rate']:.2f}" if learn else "- | -"
        startup = f"{r['startup_s']:.1f}" if "startup_s" in r else "-"
        cpu = f"{r['main_us']:.0f} | {r['worker_us']:.0f}" if "main_us" in r else "- | -"
        model = (f"{r['model_rate']:.0f} | {r['model_rate'] / base['model_rate']:.2f}"
                 if np.isfinite(r.get("model_rate", np.nan)) else "- | -")
        print(f"| {name} | {r['rate']:.0f} | {r['rate'] / base['rate']:.2f} | {learn_cells} | {startup} | {cpu} | "
              f"{model} |")


if __name__ == "__main__":
    main()
