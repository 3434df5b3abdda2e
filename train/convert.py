"""``quadgait convert``: bring a run folder written by an older quadgait to the current policy format.

Older run folders keep the normaliser as ``vecnormalize.pkl`` (a pickle) and their ``model.zip`` carries no
metadata. Converting reads each model and its normaliser once (the pickle only with ``trust_pickle``), and adds the
``quadgait.json`` entry (env, settings, robot, spaces, normaliser state; :mod:`envs.policies.files`) to
``model.zip`` and every ``checkpoints/ckpt_<steps>.zip``, and writes ``vecnormalize.json``. The weights inside the
zips are not touched, so the converted policy gives the same numbers. The ``.pkl`` files are left in place (they are
no longer read) and can be deleted.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from envs.policies.files import (
    NormalizerStats,
    PolicyLoadError,
    UnsafePickleError,
    add_metadata,
    policy_metadata,
    read_metadata,
    read_normalizer_json,
    read_pickled_normalizer,
    safe_load_model,
)
from envs.policies.loading import (
    CHECKPOINT_DIR,
    CHECKPOINT_RE,
    MODEL_FILE,
    NORMALIZER_FILE,
    describe_policy,
    normalizer_paths,
    read_run_config,
)
from train.atomic import atomic_path, write_text
from train.paths import prepare_output_dir


def _normalizer(model: Path, normalize: bool, obs_shape: tuple[int, ...], trust_pickle: bool) -> NormalizerStats | None:
    json_path, pkl_path = normalizer_paths(model)
    if json_path.is_file():
        return read_normalizer_json(json_path, obs_shape)
    if pkl_path.is_file():
        if not trust_pickle:
            raise UnsafePickleError(f"{str(pkl_path)!r} is a pickle, which can run arbitrary code when loaded; "
                                    "convert only a run folder you trust, with --trust-pickle")
        return read_pickled_normalizer(pkl_path, obs_shape)
    if normalize:
        raise PolicyLoadError(f"{str(model)!r} was trained with normalised observations but neither "
                              f"{json_path.name} nor {pkl_path.name} is beside it")
    return None


def convert_run(run: str | Path, trust_pickle: bool = False) -> list[Path]:
    """Convert the run folder ``run`` in place; returns the files written (none when it is already current).

    Raises:
        PolicyLoadError: not a run folder with ``config.yaml``, a corrupt file, or a pickle without
            ``trust_pickle``.
    """
    import gymnasium as gym

    import envs  # noqa: F401

    run = Path(run)
    if not run.is_dir() or read_run_config(run) is None:
        raise PolicyLoadError(f"{str(run)!r} is not a run folder with a config.yaml")
    prepare_output_dir(run, "run folder")  # it is rewritten in place: fail before unpickling anything
    if (run / CHECKPOINT_DIR).is_dir():
        prepare_output_dir(run / CHECKPOINT_DIR, "checkpoint folder")
    models = [p for p in [run / MODEL_FILE, *sorted((run / CHECKPOINT_DIR).glob("ckpt_*.zip"))]
              if p.is_file() and (p.name == MODEL_FILE or CHECKPOINT_RE.fullmatch(p.name))]
    if not models:
        raise PolicyLoadError(f"run folder {str(run)!r} has no {MODEL_FILE} and no checkpoint")
    written = []
    for model in models:
        if read_metadata(model) is not None:
            continue
        source = describe_policy(model)
        env = gym.make(source.env_id, **source.env_kwargs)
        try:
            spaces, robot = (env.observation_space, env.action_space), env.unwrapped.settings.robot
        finally:
            env.close()
        stats = _normalizer(model, source.normalize, tuple(spaces[0].shape), trust_pickle)
        try:
            safe_load_model(model, source.algo, source.hyperparams, *spaces)  # the weights fit these spaces
        except UnsafePickleError:
            if not trust_pickle:
                raise
        meta = policy_metadata(algo=source.algo, hyperparams=source.hyperparams, env_id=source.env_id,
                               env_kwargs=source.env_kwargs, robot=robot, observation_space=spaces[0],
                               action_space=spaces[1], normalizer=stats)
        with atomic_path(model) as tmp:
            shutil.copyfile(model, tmp)
            add_metadata(tmp, meta)
        written.append(model)
        if model.name == MODEL_FILE and stats is not None:
            import json

            written.append(write_text(run / NORMALIZER_FILE, json.dumps(stats.to_dict(), indent=1) + "\n"))
    return written
