"""Train a policy with stable-baselines3 (PPO or SAC) into a run folder, and resume it after a stop or a kill.

Run folder layout (``RUN/``)::

    config.yaml            resolved config: env id, algo, seed, n_envs, timesteps, hyperparams, env_kwargs, version
    command.txt            the command line(s) that trained it, one per session
    model.zip              final model (stable-baselines3) with its metadata and normaliser (``quadgait.json`` inside)
    vecnormalize.json      final VecNormalize state as plain JSON (only when ``normalize: true``)
    eval.csv               step, wall_clock_s, mean_speed_mps, fell, distance_m (one row per evaluation)
    tb/                    TensorBoard logs (``tensorboard --logdir RUN/tb``)
    checkpoints/ckpt_<steps>.zip   model, metadata and normaliser in one file

Normalisation: with ``normalize: true`` a ``VecNormalize`` normalises observations *and* rewards (the reward by a
running estimate of the discounted return's spread, with the algorithm's gamma); observations are clipped to ±10.
Only the observation statistics matter for running the policy.

Resuming loads the newest checkpoint that loads (model and normaliser) and continues the step count, with the
recorded number of envs and seed unless ``--envs``/``--seed`` override them. For SAC the replay buffer is not
checkpointed (it can be hundreds of MB): a resumed SAC run refills it from scratch. Every file is written atomically
(temp file, then ``os.replace``). One run holds a folder at a time (:func:`train.run_guard.run_lock`). Ctrl-C stops
at the next env step and saves a checkpoint (:class:`train.run_guard.TrainingInterrupted`); the steps of an
unfinished rollout are counted but not learned from.
"""

from __future__ import annotations

import contextlib
import copy
import shlex
import sys
from pathlib import Path
from typing import Any

import gymnasium as gym

from envs.policies.files import PolicyLoadError
from envs.policies.loading import CHECKPOINT_DIR, CONFIG_FILE, MODEL_FILE, NORMALIZER_FILE, read_run_config
from envs.registry import episode_steps
from train.atomic import write_text
from train.callbacks import Evaluator, Periodic, TqdmProgress, WallClock, read_eval_csv, write_eval_csv
from train.checkpoints import (
    RunIdentity,
    latest_checkpoint,
    load_checkpoint_model,
    save_checkpoint,
    save_normalizer_json,
    save_policy,
    usable_checkpoints,
)
from train.hyperparams import algorithm_class, algorithm_kwargs, load_hyperparams, validate_hyperparams
from train.paths import prepare_output_dir
from train.run_guard import LOCK_FILE, RunFolderBusy, StopOnInterrupt, TrainingInterrupted, run_lock, stop_on_sigint
from train.throughput import Speedups

__all__ = ["train", "latest_checkpoint", "registered_env_ids", "check_env_id", "make_vec_env"]

EVAL_FILE = "eval.csv"
COMMAND_FILE = "command.txt"
TB_DIR = "tb"
CLIP_OBS = 10.0
MAX_SEED = 2**32 - 1
#: Resident memory of one training env process, MB (Python, NumPy, PyBullet and one env, no torch: about 75 MB
#: measured by benchmarks/train_throughput.py) with headroom for the evaluation worker's share.
WORKER_MB = 120


def registered_env_ids() -> list[str]:
    """The quadgait env ids known to Gymnasium."""
    import envs  # noqa: F401  (registers the ids)

    return sorted(k for k in gym.registry if k.startswith("quadgait/"))


def check_env_id(env_id: str) -> str:
    if env_id not in registered_env_ids():
        raise ValueError(f"unknown env id {env_id!r}; registered: {', '.join(registered_env_ids())}")
    return env_id


def make_vec_env(env_id: str, env_kwargs: dict[str, Any], n_envs: int, max_episode_steps: int | None = None):
    """``n_envs`` training envs with episode statistics: one process each, importing the simulator only (not torch),
    or this process for one env (:func:`train.throughput.make_vec_env`)."""
    from train.throughput import make_vec_env as light_vec_env

    return light_vec_env(env_id, env_kwargs, n_envs, max_episode_steps)


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


def _recorded(config: dict | None, key: str, given: int | None, default: int, flag: str) -> int:
    """A resumed run's recorded ``key`` unless ``given`` overrides it (said on stderr)."""
    recorded = config.get(key) if config is not None else None
    if not isinstance(recorded, int) or isinstance(recorded, bool):
        recorded = None
    if given is None:
        return recorded if recorded is not None else default
    if recorded is not None and given != recorded:
        print(f"quadgait train: {flag} {given} overrides the run's recorded {recorded}", file=sys.stderr)
    return given


def _warn_if_short_of_memory(n_envs: int) -> None:
    """Say so when ``n_envs`` worker processes would not fit in the memory available now (Linux)."""
    if n_envs < 2:
        return
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        available_mb = int(fields["MemAvailable"].split()[0]) / 1024
    except (OSError, KeyError, ValueError):
        return
    if n_envs * WORKER_MB > available_mb:
        print(f"quadgait train: warning: {n_envs} env processes need about {n_envs * WORKER_MB / 1024:.1f} GB "
              f"({WORKER_MB} MB each) and {available_mb / 1024:.1f} GB is available; consider fewer --envs",
              file=sys.stderr)


def _probe_env(env_id: str, env_kwargs: dict[str, Any]):
    """Build one env in this process (before any worker starts) so bad settings fail with their own message.

    Returns:
        (observation space, action space, robot name).
    """
    import envs  # noqa: F401

    try:
        env = gym.make(env_id, **env_kwargs)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"env_kwargs {env_kwargs}: {exc}") from None
    try:
        return env.observation_space, env.action_space, env.unwrapped.settings.robot
    finally:
        env.close()


def train(env_id: str | None, algo: str | None, timesteps: int, n_envs: int | None, seed: int | None,
          out: str | Path | None, hyperparams_path: str | Path | None = None, resume: str | Path | None = None,
          progress: bool = True, command: str | None = None, callbacks: list | None = None,
          trust_pickle: bool = False, started_s_ago: float = 0.0) -> Path:
    """Train ``algo`` on ``env_id`` for ``timesteps`` env steps (all envs together) into the run folder ``out``.

    Args:
        env_id, algo: e.g. ``"quadgait/LaikagoWalk-v0"``, ``"ppo"``; None = the resumed run's (or these defaults).
        timesteps: total env steps to reach; when resuming, the new total (the count continues from the checkpoint).
        n_envs: parallel envs (None = the resumed run's, else the hyperparameters' ``n_envs``); one process each when
            more than one.
        seed: in [0, 2**32 - 1]; seeds Python, NumPy, torch (``set_random_seed``) and the envs
            (``vec_env.seed(seed + start step)``). None = the resumed run's, else 0.
        out: the run folder (None = the resumed folder). Refuses a folder that already holds another run, or that
            another ``train`` is using.
        hyperparams_path: a YAML file like ``train/hyperparams/ppo.yaml`` (default: the packaged one).
        resume: a run folder to continue from its newest checkpoint that loads (model and normaliser).
        progress: show a progress bar on stderr.
        command: the command line recorded in ``command.txt`` (default: ``sys.argv``).
        callbacks: extra stable-baselines3 callbacks.
        trust_pickle: allow resuming from legacy checkpoints whose normaliser is a pickle.
        started_s_ago: seconds the caller has already been running (``quadgait train`` passes its process's age),
            so that a fresh run's ``eval.csv`` times include start-up.

    Returns:
        The run folder.

    Raises:
        ValueError: bad algorithm, env id, hyperparameters, settings or folder (:class:`PolicyLoadError` for a
            missing or corrupt run folder or checkpoint).
        TrainingInterrupted: Ctrl-C; a checkpoint was saved first.
    """
    resume_dir = Path(resume) if resume is not None else None
    env_id, algo, hp, config = _resolve(env_id, algo, hyperparams_path, resume_dir)
    out = Path(out) if out is not None else resume_dir
    if out is None:
        raise ValueError("give an output folder (--out)")
    n_envs = _recorded(config, "n_envs", n_envs, hp["n_envs"], "--envs")
    seed = _recorded(config, "seed", seed, 0, "--seed")
    if not 1 <= n_envs <= 256:
        raise ValueError(f"--envs must be in [1, 256], got {n_envs}")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"--seed must be in [0, {MAX_SEED}], got {seed}")
    if timesteps < 1:
        raise ValueError(f"--timesteps must be at least 1, got {timesteps}")
    batch = hp.get("n_steps", 2048) * n_envs
    if algo == "ppo" and batch % hp.get("batch_size", 64):
        raise ValueError(f"n_steps x n_envs = {batch} is not a multiple of batch_size {hp.get('batch_size', 64)}")
    _check_out(out, resume_dir)
    created = not out.exists()
    prepare_output_dir(out, "--out")
    try:
        observation_space, action_space, robot = _probe_env(env_id, hp["env_kwargs"])
        candidates = []
        if resume_dir is not None:
            candidates = usable_checkpoints(resume_dir, env_id, hp["normalize"], tuple(observation_space.shape),
                                            trust_pickle)
            if timesteps <= candidates[0].step:
                raise ValueError(f"the last checkpoint is already at {candidates[0].step} steps; ask for more with "
                                 "--timesteps")
        _warn_if_short_of_memory(n_envs)
        with run_lock(out):
            for stale in (out / CHECKPOINT_DIR).glob(".*.partial.*"):  # temp files of a write that was killed
                stale.unlink()
            return _train(env_id, algo, hp, timesteps, n_envs, seed, out, resume_dir, candidates, robot, progress,
                          command, callbacks, trust_pickle, started_s_ago)
    except BaseException as exc:
        # Nothing was written: leave no empty run folder behind. Not when another train holds the folder (it
        # created it at the same moment, and its lock file is there), and never masking the real error.
        if (created and not isinstance(exc, RunFolderBusy) and out.is_dir()
                and not [p for p in out.iterdir() if p.name != LOCK_FILE]):
            with contextlib.suppress(OSError):
                out.rmdir()
        raise


def _train(env_id, algo, hp, timesteps, n_envs, seed, out, resume_dir, candidates, robot, progress, command,
           callbacks, trust_pickle, started_s_ago=0.0) -> Path:
    import torch
    from stable_baselines3.common.utils import set_random_seed

    algo_cls, kwargs = algorithm_class(algo), algorithm_kwargs(hp)
    kwargs.setdefault("device", "cpu")
    identity = RunIdentity(algo, hp, env_id, copy.deepcopy(hp["env_kwargs"]), robot)
    threads = torch.get_num_threads()
    venv = eval_env = speedups = None
    try:
        torch.set_num_threads(1)  # small MLPs: one thread is as fast, and leaves the cores to the env processes
        set_random_seed(seed)
        venv = make_vec_env(env_id, hp["env_kwargs"], n_envs, episode_steps(hp["episode_seconds"], hp["env_kwargs"]))
        tb = str(out / TB_DIR) if _tensorboard_available() else None
        if tb is None:
            print("quadgait train: tensorboard is not installed (pip install 'quadgait[tensorboard]'); "
                  "writing no TensorBoard logs", file=sys.stderr)
        model, vec_normalize, resumed = _model(algo_cls, hp, kwargs, venv, seed, tb, candidates, trust_pickle)
        start_step = resumed.step if resumed is not None else 0
        # The folder's files change only once the model loaded: a failed resume leaves the run as it was.
        _write_config(out, env_id, algo, seed, n_envs, timesteps, hp, resume_dir, resumed, robot)
        fresh = resumed is None or not (out / COMMAND_FILE).is_file()  # a dead run's command.txt is not this run's
        old_commands = "" if fresh else (out / COMMAND_FILE).read_text()
        write_text(out / COMMAND_FILE, old_commands + (command or shlex.join(["quadgait", *sys.argv[1:]])) + "\n")
        rows = read_eval_csv(resume_dir / EVAL_FILE, up_to_step=start_step) if resume_dir is not None else []
        write_eval_csv(out / EVAL_FILE, rows)
        clock = WallClock(getattr(model, "quadgait_wall_clock_s", 0.0) if resumed is not None else started_s_ago)
        eval_kwargs = {**hp["env_kwargs"], **hp["eval_env_kwargs"]}
        eval_env = gym.make(env_id, max_episode_steps=episode_steps(hp["eval_seconds"], eval_kwargs), **eval_kwargs)
        eval_env.reset(seed=seed, options=hp["eval_options"] or None)  # bad evaluation options fail now, not later
        evaluator = Evaluator(eval_env, out / EVAL_FILE, hp["eval_seconds"], hp["eval_episodes"],
                              seed + hp["eval_seed_offset"], clock, rows,
                              options=hp["eval_options"])
        evaluator.model, evaluator.vec_normalize = model, vec_normalize
        bar = TqdmProgress(progress)
        evaluator.progress = bar
        # Throughput (train/throughput.py): NumPy rollout forward; evaluation in a worker process.
        speedups = Speedups(model, evaluator, env_id, eval_kwargs, episode_steps(hp["eval_seconds"], eval_kwargs))

        def checkpoint(step: int) -> None:
            save_checkpoint(model, vec_normalize, out, step, clock.elapsed_s(), identity)

        evaluations = Periodic(hp["eval_freq"], speedups.evaluator, at_end=hp["eval_freq"] > 0)
        checkpoints = Periodic(hp["checkpoint_freq"], checkpoint)  # also at the end, interrupted or not
        stopper = StopOnInterrupt()

        def on_interrupt() -> None:  # no final evaluation, and none in flight is waited for
            evaluations.at_end = False
            speedups.abandon_evaluation()

        with stop_on_sigint(stopper, on_request=on_interrupt):
            model.learn(total_timesteps=timesteps - model.num_timesteps, reset_num_timesteps=resumed is None,
                        tb_log_name=algo.upper(),
                        callback=[stopper, bar, evaluations, *speedups.callbacks, checkpoints, *(callbacks or [])])
        if stopper.requested and model.num_timesteps < timesteps:  # (a Ctrl-C after the last step: just finish)
            saved = out / CHECKPOINT_DIR / f"ckpt_{model.num_timesteps}.zip"
            raise TrainingInterrupted(out, model.num_timesteps, saved if saved.is_file() else None)
        model.quadgait_wall_clock_s = clock.elapsed_s()
        save_policy(model, vec_normalize, out / MODEL_FILE, identity)
        if vec_normalize is not None:
            save_normalizer_json(vec_normalize, out / NORMALIZER_FILE)
    finally:
        torch.set_num_threads(threads)
        if speedups is not None:
            speedups.close()
        if eval_env is not None:
            eval_env.close()
        if venv is not None:
            _close_quietly(venv)
    return out


def _close_quietly(venv) -> None:
    """Close the env workers; if one died (its pipe is broken), stop the others instead of raising."""
    try:
        venv.close()
    except (EOFError, OSError):
        for process in getattr(venv, "processes", []):
            if process.is_alive():
                process.terminate()
            process.join(timeout=5)


def _model(algo_cls, hp, kwargs, venv, seed, tb, candidates, trust_pickle):
    """(model, VecNormalize or None, the checkpoint resumed from or None): a new model, or the newest checkpoint
    that loads (older ones are tried when a newer one fails)."""
    from stable_baselines3.common.vec_env import VecNormalize

    errors = []
    for candidate in candidates:
        vec_normalize = candidate.stats.make_vec_normalize(venv) if candidate.stats is not None else None
        train_env = vec_normalize if vec_normalize is not None else venv
        train_env.seed(seed + candidate.step)
        try:
            model = load_checkpoint_model(candidate, algo_cls.__name__.lower(), hp, train_env, trust_pickle,
                                          tensorboard_log=tb)
        except PolicyLoadError as exc:
            errors.append(str(exc))
            print(f"quadgait train: skipping {candidate.path.name}: {exc}", file=sys.stderr)
            continue
        if vec_normalize is not None:
            vec_normalize.training = True
        model.set_random_seed(seed)
        print(f"quadgait train: resuming from {candidate.path} at step {model.num_timesteps}", file=sys.stderr)
        return model, vec_normalize, candidate
    if candidates:
        raise PolicyLoadError(errors[0] if len(errors) == 1 else f"no checkpoint can be resumed; newest: {errors[0]}")
    vec_normalize = None
    if hp["normalize"]:
        vec_normalize = VecNormalize(venv, norm_obs=True, norm_reward=True, clip_obs=CLIP_OBS,
                                     gamma=float(hp.get("gamma", 0.99)))
        vec_normalize.training = True
    train_env = vec_normalize if vec_normalize is not None else venv
    train_env.seed(seed)
    try:
        model = algo_cls(hp["policy"], train_env, seed=seed, tensorboard_log=tb, **kwargs)
    except (TypeError, AssertionError, KeyError) as exc:
        raise ValueError(f"stable-baselines3 rejected the hyperparameters: {type(exc).__name__}: {exc}") from None
    return model, vec_normalize, None


def _tensorboard_available() -> bool:
    try:
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401  (what stable-baselines3 logs with)
    except ImportError:
        return False
    return True


def _write_config(out: Path, env_id: str, algo: str, seed: int, n_envs: int, timesteps: int, hp: dict,
                  resume: Path | None, resumed, robot: str) -> None:
    from importlib import metadata

    import yaml

    try:
        version = metadata.version("quadgait")
    except metadata.PackageNotFoundError:
        version = "unknown"
    config = {"env_id": env_id, "algo": algo, "seed": seed, "n_envs": n_envs, "timesteps": timesteps,
              "robot": robot,
              "normalization": ("VecNormalize: observations and rewards, observations clipped to "
                                f"+-{CLIP_OBS}") if hp["normalize"] else "none",
              "hyperparams": hp, "env_kwargs": copy.deepcopy(hp["env_kwargs"]), "quadgait_version": version}
    if resume is not None:
        config["resumed_from"] = {"run": str(resume), "checkpoint_step": resumed.step,
                                  "normalizer_count": resumed.stats.obs_count if resumed.stats is not None else None}

    class NoAliases(yaml.SafeDumper):  # config files are read back by a loader that refuses anchors and aliases
        def ignore_aliases(self, data):
            return True

    write_text(out / CONFIG_FILE, "# written by quadgait train; resolved settings of this run\n"
               + yaml.dump(config, Dumper=NoAliases, sort_keys=False))
