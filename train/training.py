"""Train a policy with stable-baselines3 (PPO or SAC) into a run folder, and resume it after a stop or a kill.

Run folder layout (``RUN/``)::

    config.yaml            resolved config: env id, algo, seed, n_envs, timesteps, hyperparams, env_kwargs, version
    command.txt            the command line(s) that trained it, one per session
    model.zip              final model (stable-baselines3)
    vecnormalize.pkl       final VecNormalize statistics (only when ``normalize: true``)
    eval.csv               step, wall_clock_s, mean_speed_mps, fell, distance_m (one row per evaluation)
    tb/                    TensorBoard logs (``tensorboard --logdir RUN/tb``)
    checkpoints/ckpt_<steps>.zip + vecnormalize_<steps>.pkl

Normalisation: with ``normalize: true`` a ``VecNormalize`` normalises observations *and* rewards (the reward by a
running estimate of the discounted return's spread, with the algorithm's gamma); observations are clipped to ±10.
Only the observation statistics matter for running the policy.

Resuming loads the highest-step checkpoint and its normaliser and continues the step count. For SAC the replay
buffer is not checkpointed (it can be hundreds of MB): a resumed SAC run refills it from scratch. Every file is written atomically (temp file, then
``os.replace``); a checkpoint's normaliser is written before its model, so a ``ckpt_<steps>.zip`` that exists is
complete and has its normaliser beside it.
"""

from __future__ import annotations

import copy
import functools
import pickle
import shlex
import sys
import zipfile
from pathlib import Path
from typing import Any

import gymnasium as gym

from envs.registry import episode_steps
from train.atomic import atomic_path, write_text
from train.callbacks import Evaluator, Periodic, TqdmProgress, WallClock, read_eval_csv, write_eval_csv
from train.throughput import Speedups
from train.hyperparams import algorithm_class, algorithm_kwargs, load_hyperparams, validate_hyperparams
from envs.policies.loading import (CHECKPOINT_DIR, CHECKPOINT_RE, CONFIG_FILE, MODEL_FILE, NORMALIZER_FILE, PolicyLoadError,
                          read_run_config)

EVAL_FILE = "eval.csv"
COMMAND_FILE = "command.txt"
TB_DIR = "tb"
CLIP_OBS = 10.0


def registered_env_ids() -> list[str]:
    """The quadgait env ids known to Gymnasium."""
    import envs  # noqa: F401  (registers the ids)

    return sorted(k for k in gym.registry if k.startswith("quadgait/"))


def check_env_id(env_id: str) -> str:
    if env_id not in registered_env_ids():
        raise ValueError(f"unknown env id {env_id!r}; registered: {', '.join(registered_env_ids())}")
    return env_id


def _make_env(env_id: str, env_kwargs: dict[str, Any], max_episode_steps: int | None = None) -> gym.Env:
    """Build one monitored training env (module level so SubprocVecEnv workers can unpickle it)."""
    import envs  # noqa: F401
    from stable_baselines3.common.monitor import Monitor

    return Monitor(gym.make(env_id, max_episode_steps=max_episode_steps, **env_kwargs))


def make_vec_env(env_id: str, env_kwargs: dict[str, Any], n_envs: int, max_episode_steps: int | None = None):
    """``n_envs`` monitored envs: one process each (a SubprocVecEnv whose processes do not import torch), or a
    DummyVecEnv for one."""
    from stable_baselines3.common.vec_env import DummyVecEnv

    if n_envs > 1:  # train/throughput.py, train/env_worker.py
        from train.throughput import make_vec_env as light_vec_env

        return light_vec_env(env_id, env_kwargs, n_envs, max_episode_steps)
    return DummyVecEnv([functools.partial(_make_env, env_id, dict(env_kwargs), max_episode_steps)])


def latest_checkpoint(run_dir: str | Path) -> tuple[int, Path, Path | None]:
    """(steps, model .zip, normaliser .pkl or None) of the highest-step checkpoint in ``run_dir/checkpoints``.

    Raises:
        PolicyLoadError: no such folder, or no checkpoint in it.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise PolicyLoadError(f"no run folder at {str(run_dir)!r}")
    found = [(int(m.group(1)), p) for p in (run_dir / CHECKPOINT_DIR).glob("ckpt_*.zip")
             if (m := CHECKPOINT_RE.fullmatch(p.name))]
    if not found:
        raise PolicyLoadError(f"run folder {str(run_dir)!r} has no checkpoint ({CHECKPOINT_DIR}/ckpt_<steps>.zip)")
    step, model = max(found)
    normalizer = model.parent / f"vecnormalize_{step}.pkl"
    return step, model, normalizer if normalizer.is_file() else None


def save_checkpoint(model, vec_normalize, run_dir: Path, step: int, wall_clock_s: float) -> Path:
    """Write ``checkpoints/vecnormalize_<step>.pkl`` then ``checkpoints/ckpt_<step>.zip``, each atomically."""
    folder = run_dir / CHECKPOINT_DIR
    if vec_normalize is not None:
        with atomic_path(folder / f"vecnormalize_{step}.pkl") as tmp:
            vec_normalize.save(str(tmp))
    model.quadgait_wall_clock_s = float(wall_clock_s)  # saved in the zip; resumed runs continue the clock
    path = folder / f"ckpt_{step}.zip"
    with atomic_path(path) as tmp:
        model.save(tmp)
    return path


def _load_normalizer(path: Path):
    try:
        with open(path, "rb") as f:
            vec = pickle.load(f)  # noqa: S301 - run folders are trusted input (documented)
        vec.obs_rms.mean  # noqa: B018 - fail here, not mid-training, if it is not a VecNormalize
        return vec
    except Exception as exc:  # noqa: BLE001
        raise PolicyLoadError(f"corrupt checkpoint normaliser {str(path)!r}: {type(exc).__name__}: {exc}") from None


def _check_out(out: Path, resume: Path | None) -> None:
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} exists and is not a folder")
    if resume is not None and out.resolve() == resume.resolve():
        return
    # A folder holds a run once it has a model or a checkpoint; one that failed before that may be reused.
    if out.is_dir() and ((out / MODEL_FILE).exists() or list((out / CHECKPOINT_DIR).glob("ckpt_*.zip"))):
        raise ValueError(f"{str(out)!r} already holds a run; continue it with --resume {out} or choose another --out")


def _resolve(env_id: str | None, algo: str | None, hyperparams_path: str | Path | None,
             resume: Path | None) -> tuple[str, str, dict[str, Any], dict | None]:
    """(env id, algo, hyperparams, resumed config) from the arguments or the resumed run's config.yaml."""
    if resume is None:
        env_id, algo = env_id or "quadgait/LaikagoWalk-v0", (algo or "ppo").strip().lower()
        algorithm_class(algo)
        check_env_id(env_id)
        return env_id, algo, load_hyperparams(algo, env_id, hyperparams_path), None
    if not resume.is_dir():
        raise PolicyLoadError(f"no run folder at {str(resume)!r}")
    if hyperparams_path is not None:
        raise ValueError("--hyperparams cannot be combined with --resume (the run keeps its recorded hyperparameters)")
    config = read_run_config(resume)
    if config is None:
        raise PolicyLoadError(f"run folder {str(resume)!r} has no {CONFIG_FILE}")
    for name, given in (("env_id", env_id), ("algo", algo)):
        if given is not None and str(given).strip().lower() != str(config.get(name, "")).lower():
            raise ValueError(f"--{name.split('_')[0]} {given} differs from the resumed run's {config.get(name)!r}")
    try:
        env_id, algo = str(config["env_id"]), str(config["algo"])
        hyperparams = validate_hyperparams(algo, config["hyperparams"])
    except (KeyError, ValueError) as exc:
        raise PolicyLoadError(f"corrupt {CONFIG_FILE} in {str(resume)!r}: {exc}") from None
    check_env_id(env_id)
    return env_id, algo, hyperparams, config


def train(env_id: str | None, algo: str | None, timesteps: int, n_envs: int | None, seed: int, out: str | Path | None,
          hyperparams_path: str | Path | None = None, resume: str | Path | None = None, progress: bool = True,
          command: str | None = None, callbacks: list | None = None) -> Path:
    """Train ``algo`` on ``env_id`` for ``timesteps`` env steps (all envs together) into the run folder ``out``.

    Args:
        env_id, algo: e.g. ``"quadgait/LaikagoWalk-v0"``, ``"ppo"``; None = the resumed run's (or these defaults).
        timesteps: total env steps to reach; when resuming, the new total (the count continues from the checkpoint).
        n_envs: parallel envs (None = the hyperparameters' ``n_envs``); one process each when more than one.
        seed: seeds Python, NumPy, torch (``set_random_seed``) and the envs (``vec_env.seed(seed + start step)``).
        out: the run folder (None = the resumed folder). Refuses a folder that already holds another run.
        hyperparams_path: a YAML file like ``train/hyperparams/ppo.yaml`` (default: the packaged one).
        resume: a run folder to continue from its highest-step checkpoint (model and normaliser).
        progress: show a progress bar on stderr.
        command: the command line recorded in ``command.txt`` (default: ``sys.argv``).
        callbacks: extra stable-baselines3 callbacks.

    Returns:
        The run folder.

    Raises:
        ValueError: bad algorithm, env id, hyperparameters or folder (:class:`~envs.policies.loading.PolicyLoadError` for a
            missing or corrupt run folder or checkpoint).
    """
    import torch
    from stable_baselines3.common.utils import set_random_seed
    from stable_baselines3.common.vec_env import VecNormalize

    resume_dir = Path(resume) if resume is not None else None
    env_id, algo, hp, _ = _resolve(env_id, algo, hyperparams_path, resume_dir)
    out = Path(out) if out is not None else resume_dir
    if out is None:
        raise ValueError("give an output folder (--out)")
    n_envs = int(n_envs if n_envs is not None else hp["n_envs"])
    if n_envs < 1:
        raise ValueError(f"--envs must be at least 1, got {n_envs}")
    if timesteps < 1:
        raise ValueError(f"--timesteps must be at least 1, got {timesteps}")
    batch = hp.get("n_steps", 2048) * n_envs
    if algo == "ppo" and batch % hp.get("batch_size", 64):
        raise ValueError(f"n_steps x n_envs = {batch} is not a multiple of batch_size {hp.get('batch_size', 64)}")
    _check_out(out, resume_dir)
    start_step, ckpt, ckpt_norm, norm = 0, None, None, None
    if resume_dir is not None:
        start_step, ckpt, ckpt_norm = latest_checkpoint(resume_dir)
        if not zipfile.is_zipfile(ckpt):
            raise PolicyLoadError(f"corrupt checkpoint {str(ckpt)!r} (not a zip archive)")
        if hp["normalize"]:
            if ckpt_norm is None:
                raise PolicyLoadError(f"checkpoint {str(ckpt)!r} has no vecnormalize_{start_step}.pkl beside it")
            norm = _load_normalizer(ckpt_norm)
        if timesteps <= start_step:
            raise ValueError(f"the last checkpoint is already at {start_step} steps; ask for more with --timesteps")
    algo_cls, kwargs = algorithm_class(algo), algorithm_kwargs(hp)
    kwargs.setdefault("device", "cpu")
    policy = hp["policy"]

    out.mkdir(parents=True, exist_ok=True)
    for stale in (out / CHECKPOINT_DIR).glob(".*.partial.*"):  # temp files of a write that was killed
        stale.unlink()

    threads = torch.get_num_threads()
    venv = eval_env = speedups = None
    try:
        torch.set_num_threads(1)  # small MLPs: one thread is as fast, and leaves the cores to the env processes
        set_random_seed(seed)
        venv = make_vec_env(env_id, hp["env_kwargs"], n_envs, episode_steps(hp["episode_seconds"], hp["env_kwargs"]))
        vec_normalize = None
        if hp["normalize"]:
            if norm is not None:
                norm.set_venv(venv)
                vec_normalize = norm
            else:
                vec_normalize = VecNormalize(venv, norm_obs=True, norm_reward=True, clip_obs=CLIP_OBS,
                                             gamma=float(hp.get("gamma", 0.99)))
            vec_normalize.training = True
        train_env = vec_normalize if vec_normalize is not None else venv
        train_env.seed(seed + start_step)
        tb = str(out / TB_DIR) if _tensorboard_available() else None
        if tb is None:
            print("quadgait train: tensorboard is not installed (pip install 'quadgait[tensorboard]'); "
                  "writing no TensorBoard logs", file=sys.stderr)
        if ckpt is not None:
            try:
                model = algo_cls.load(ckpt, env=train_env, device=kwargs["device"], tensorboard_log=tb)
            except Exception as exc:  # noqa: BLE001
                raise PolicyLoadError(f"corrupt checkpoint {str(ckpt)!r}: {type(exc).__name__}: {exc}") from None
            model.set_random_seed(seed)
            print(f"quadgait train: resuming from {ckpt} at step {model.num_timesteps}", file=sys.stderr)
        else:
            try:
                model = algo_cls(policy, train_env, seed=seed, tensorboard_log=tb, **kwargs)
            except (TypeError, AssertionError, KeyError) as exc:
                raise ValueError(f"stable-baselines3 rejected the hyperparameters: {type(exc).__name__}: "
                                 f"{exc}") from None
        # The folder's files change only once the model loaded: a failed resume leaves the run as it was.
        _write_config(out, env_id, algo, seed, n_envs, timesteps, hp, resume_dir, start_step, norm)
        old_commands = (out / COMMAND_FILE).read_text() if (out / COMMAND_FILE).is_file() else ""
        write_text(out / COMMAND_FILE, old_commands + (command or shlex.join(["quadgait", *sys.argv[1:]])) + "\n")
        rows = read_eval_csv(resume_dir / EVAL_FILE, up_to_step=start_step) if resume_dir is not None else []
        write_eval_csv(out / EVAL_FILE, rows)
        clock = WallClock(getattr(model, "quadgait_wall_clock_s", 0.0) if ckpt is not None else 0.0)
        eval_kwargs = {**hp["env_kwargs"], **hp["eval_env_kwargs"]}
        eval_env = gym.make(env_id, max_episode_steps=episode_steps(hp["eval_seconds"], eval_kwargs), **eval_kwargs)
        eval_env.reset(seed=seed, options=hp["eval_options"] or None)  # bad evaluation options fail now, not later
        evaluator = Evaluator(eval_env, out / EVAL_FILE, hp["eval_seconds"], hp["eval_episodes"], seed, clock, rows,
                              options=hp["eval_options"])
        evaluator.model, evaluator.vec_normalize = model, vec_normalize
        bar = TqdmProgress(progress)
        evaluator.progress = bar
        # Throughput (train/throughput.py): NumPy rollout forward; evaluation in a worker process.
        speedups = Speedups(model, evaluator, env_id, eval_kwargs, episode_steps(hp["eval_seconds"], eval_kwargs))

        def checkpoint(step: int) -> None:
            save_checkpoint(model, vec_normalize, out, step, clock.elapsed_s())

        steps_left = timesteps - model.num_timesteps
        model.learn(total_timesteps=steps_left, reset_num_timesteps=ckpt is None, tb_log_name=algo.upper(),
                    callback=[bar, Periodic(hp["eval_freq"], speedups.evaluator, at_end=hp["eval_freq"] > 0),
                              Periodic(hp["checkpoint_freq"], checkpoint), *speedups.callbacks, *(callbacks or [])])
        model.quadgait_wall_clock_s = clock.elapsed_s()
        with atomic_path(out / MODEL_FILE) as tmp:
            model.save(tmp)
        if vec_normalize is not None:
            with atomic_path(out / NORMALIZER_FILE) as tmp:
                vec_normalize.save(str(tmp))
    finally:
        torch.set_num_threads(threads)
        if speedups is not None:
            speedups.close()
        if eval_env is not None:
            eval_env.close()
        if venv is not None:
            venv.close()
    return out


def _tensorboard_available() -> bool:
    try:
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401  (what stable-baselines3 logs with)
    except ImportError:
        return False
    return True


def _write_config(out: Path, env_id: str, algo: str, seed: int, n_envs: int, timesteps: int, hp: dict,
                  resume: Path | None, start_step: int, norm) -> None:
    import yaml

    from importlib import metadata

    try:
        version = metadata.version("quadgait")
    except metadata.PackageNotFoundError:
        version = "unknown"
    config = {"env_id": env_id, "algo": algo, "seed": seed, "n_envs": n_envs, "timesteps": timesteps,
              "normalization": ("VecNormalize: observations and rewards, observations clipped to "
                                f"+-{CLIP_OBS}") if hp["normalize"] else "none",
              "hyperparams": hp, "env_kwargs": copy.deepcopy(hp["env_kwargs"]), "quadgait_version": version}
    if resume is not None:
        config["resumed_from"] = {"run": str(resume), "checkpoint_step": start_step,
                                  "normalizer_count": float(norm.obs_rms.count) if norm is not None else None}
    write_text(out / CONFIG_FILE, "# written by quadgait train; resolved settings of this run\n"
               + yaml.safe_dump(config, sort_keys=False))
