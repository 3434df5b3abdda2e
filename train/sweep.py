"""Train one recipe over many seeds (and optionally a small grid of hyperparameters), resumably, on Ray or in turn.

Sweep folder layout (``SWEEP/``)::

    sweep.json                  what was asked (env, algo, timesteps, seeds, grid), every run's status, the commands
    seed-<S>/                   a normal ``quadgait train`` run folder (no grid)
    <key=value,...>/hyperparams.yaml, <key=value,...>/seed-<S>/   with a grid: one folder per setting
    .../seed-<S>/sweep-done.json  the completion marker, written atomically after the run's model is saved

A run counts as finished only once its marker exists, so a rerun skips exactly the finished runs; a run folder with
checkpoints but no marker (the driver or its worker was killed, or Ctrl-C) is resumed from its newest checkpoint by
:func:`train.training.train`, and one killed before its first checkpoint starts afresh. A resumed run does not give
bit-for-bit the numbers of an uninterrupted one (its rollout restarts at the checkpoint); ``config.yaml`` records
``resumed_from``. Every run is fully determined by (recipe, seed), so the same seed gives the same numbers in this
process, in a local Ray worker or on another node of a cluster.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from train.atomic import write_json, write_text

SWEEP_FILE = "sweep.json"
DONE_FILE = "sweep-done.json"
HYPERPARAMS_FILE = "hyperparams.yaml"
#: The parts of sweep.json's spec that a rerun must match (seeds and timesteps may grow).
FIXED_SPEC = ("env_id", "algo", "grid", "hyperparams", "n_envs")


@dataclass(frozen=True)
class RunSpec:
    """One training run of a sweep (picklable: it travels to Ray workers).

    Attributes:
        path: the run folder (absolute).
        setting: the grid point's label (``""`` without a grid), e.g. ``"learning_rate=0.0001"``.
        hyperparams_path: the YAML file the run trains with (None: the packaged defaults).
    """

    path: str
    seed: int
    env_id: str
    algo: str
    timesteps: int
    n_envs: int | None = None
    setting: str = ""
    hyperparams_path: str | None = None
    command: str = ""


@dataclass
class SweepState:
    """What ``sweep.json`` holds; ``runs`` maps a run folder (relative to the sweep) to its status record."""

    spec: dict[str, Any]
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    status: str = "running"
    commands: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------- the grid
def parse_value(text: str) -> Any:
    """A ``--set`` value: int, float (``1e-4`` too, which YAML would read as a string), bool, or YAML."""
    import yaml

    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return yaml.safe_load(text)


def parse_grid(items: Sequence[str]) -> dict[str, list[Any]]:
    """``["learning_rate=1e-4,3e-4", "env_kwargs.target_speed_mps=0.5"]`` -> ``{key: [values]}``.

    Raises:
        ValueError: an item without ``=``, an empty value list, or a key given twice.
    """
    grid: dict[str, list[Any]] = {}
    for item in items:
        key, eq, values = item.partition("=")
        key = key.strip()
        if not eq or not key or not values.strip():
            raise ValueError(f"--set {item!r}: expected KEY=VALUE[,VALUE...] (e.g. learning_rate=1e-4,3e-4)")
        if key in grid:
            raise ValueError(f"--set {key} is given twice")
        grid[key] = [parse_value(v.strip()) for v in values.split(",")]
    return grid


def grid_points(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values (one empty point without a grid)."""
    keys = list(grid)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*(grid[k] for k in keys))]


def setting_label(point: dict[str, Any]) -> str:
    """A folder name for a grid point: ``key=value,key=value`` with characters unsafe in paths replaced."""
    text = ",".join(f"{k}={v}" for k, v in point.items())
    return "".join(ch if ch.isalnum() or ch in "-_.,=+" else "_" for ch in text)


def _apply(hp: dict[str, Any], point: dict[str, Any]) -> dict[str, Any]:
    """``hp`` with the grid point's values set; ``env_kwargs.x`` sets one key of a nested mapping."""
    import copy

    out = copy.deepcopy(hp)
    for key, value in point.items():
        *parents, leaf = key.split(".")
        node = out
        for part in parents:
            if not isinstance(node.get(part, {}), dict):
                raise ValueError(f"--set {key}: {part!r} is not a mapping")
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


# ---------------------------------------------------------------------------- planning
def plan(out: Path, env_id: str, algo: str, seeds: Sequence[int], timesteps: int, n_envs: int | None = None,
         grid: dict[str, list[Any]] | None = None, hyperparams_path: str | Path | None = None,
         command: str = "") -> tuple[SweepState, list[RunSpec]]:
    """Check the recipe, write each grid point's hyperparameter file and return (state, every run of the sweep).

    A folder that already holds a sweep must hold this one (same env, algo, grid, hyperparameters, envs); its
    finished runs keep their records.

    Raises:
        ValueError: a bad recipe (unknown env id, algorithm or hyperparameter) or a folder holding another sweep.
    """
    import yaml

    from train.hyperparams import load_hyperparams, validate_hyperparams
    from train.training import check_env_id

    check_env_id(env_id)
    if not seeds:
        raise ValueError("give at least one seed (--seeds 0 1 2 3 4)")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"--seeds has duplicates: {list(seeds)}")
    grid = grid or {}
    base = load_hyperparams(algo, env_id, hyperparams_path)
    spec = {"env_id": env_id, "algo": algo, "timesteps": timesteps, "seeds": list(seeds), "grid": grid,
            "hyperparams": str(Path(hyperparams_path).resolve()) if hyperparams_path else None, "n_envs": n_envs}
    state = read_state(out)
    if state is None:
        state = SweepState(spec=spec)
    else:
        changed = [k for k in FIXED_SPEC if state.spec.get(k) != json.loads(json.dumps(spec[k]))]
        if changed:
            raise ValueError(f"{str(out)!r} holds another sweep (its {', '.join(changed)} differ: "
                             + "; ".join(f"{k} was {state.spec.get(k)!r}" for k in changed)
                             + "); choose another --out")
        state.spec = {**spec, "seeds": sorted(set(state.spec.get("seeds", [])) | set(seeds))}
    if command:
        state.commands.append(command)
    runs = []
    for point in grid_points(grid):
        label = setting_label(point)
        folder = out / label if label else out
        hp_file = str(Path(hyperparams_path).resolve()) if hyperparams_path else None
        if point:
            try:
                hp = validate_hyperparams(algo, _apply(base, point))
            except ValueError as exc:
                raise ValueError(f"--set {label}: {exc}") from None
            folder.mkdir(parents=True, exist_ok=True)
            hp_file = str(write_text(folder / HYPERPARAMS_FILE, "# written by quadgait sweep\n"
                                     + yaml.safe_dump({env_id: hp}, sort_keys=False)).resolve())
        for seed in seeds:
            runs.append(RunSpec(str((folder / f"seed-{seed}").resolve()), seed, env_id, algo, timesteps, n_envs,
                                label, hp_file, command))
    return state, runs


def read_state(out: Path) -> SweepState | None:
    """The sweep in ``out/sweep.json`` (None if there is none).

    Raises:
        ValueError: the file is not a sweep file.
    """
    path = out / SWEEP_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        return SweepState(spec=dict(data["spec"]), runs=dict(data["runs"]), status=str(data["status"]),
                          commands=list(data.get("commands", [])))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{str(path)!r} is not a quadgait sweep file ({type(exc).__name__}: {exc})") from None


def write_state(out: Path, state: SweepState) -> Path:
    return write_json(out / SWEEP_FILE, {"format": "quadgait-sweep/1", **asdict(state),
                                         "updated_utc": _now()})


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def read_marker(run: Path) -> dict[str, Any] | None:
    """A run's completion marker, or None (missing or unreadable: the run is not finished)."""
    try:
        return json.loads((run / DONE_FILE).read_text())
    except (OSError, ValueError):
        return None


def is_finished(run: RunSpec) -> bool:
    marker = read_marker(Path(run.path))
    return marker is not None and marker.get("timesteps", -1) >= run.timesteps and marker.get("seed") == run.seed


# ---------------------------------------------------------------------------- one run
def run_one(run: RunSpec) -> dict[str, Any]:
    """Train ``run`` to its timesteps (fresh, or resumed from its newest checkpoint) and write its marker.

    Returns:
        the run's record: ``status`` ``"done"``, ``wall_clock_s`` of this session, ``resumed`` and the last
        evaluation row. Raises what :func:`train.training.train` raises (``TrainingInterrupted`` on Ctrl-C).
    """
    from envs.policies.loading import CHECKPOINT_DIR, MODEL_FILE
    from train.callbacks import read_eval_csv
    from train.training import EVAL_FILE, latest_checkpoint, train

    path = Path(run.path)
    start = time.perf_counter()
    resumed = path.is_dir() and any((path / CHECKPOINT_DIR).glob("ckpt_*.zip"))
    step = latest_checkpoint(path)[0] if resumed else 0
    if not (resumed and step >= run.timesteps and (path / MODEL_FILE).is_file()):  # else: killed after saving
        train(run.env_id, run.algo, run.timesteps, run.n_envs if not resumed else None, run.seed, path,
              hyperparams_path=None if resumed else run.hyperparams_path, resume=path if resumed else None,
              progress=False, command=run.command or None)
    rows = read_eval_csv(path / EVAL_FILE)
    record = {"status": "done", "seed": run.seed, "setting": run.setting, "timesteps": run.timesteps,
              "resumed": resumed, "wall_clock_s": time.perf_counter() - start, "finished_utc": _now(),
              "host": socket.gethostname(), "ray_node": _ray_node(), "last_eval": rows[-1] if rows else None}
    write_json(path / DONE_FILE, record)
    return record


def _ray_node() -> str | None:
    """The Ray node this runs on (None outside a Ray worker)."""
    import sys

    ray = sys.modules.get("ray")  # only a Ray worker has imported it
    if ray is None or not ray.is_initialized():
        return None
    return ray.get_runtime_context().get_node_id()


# ---------------------------------------------------------------------------- progress
def time_left_s(durations_s: Sequence[float], remaining: int, parallel: int) -> float | None:
    """Estimated seconds left: the mean duration of the runs finished in this session, times the runs left, shared
    out over ``parallel`` workers (None before any run has finished)."""
    if not durations_s:
        return None
    waves = -(-remaining // max(1, parallel))
    return sum(durations_s) / len(durations_s) * waves


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "unknown until a run finishes"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s"


class Progress:
    """One line on ``print_line`` per finished or failed run: runs done of all, and the estimated time left."""

    def __init__(self, total: int, done: int, parallel: int, print_line: Callable[[str], None]) -> None:
        self.total, self.done, self.parallel, self.print_line = total, done, parallel, print_line
        self.durations: list[float] = []

    def update(self, name: str, record: dict[str, Any]) -> None:
        if record["status"] == "done":
            self.done += 1
            self.durations.append(record["wall_clock_s"])
            what = f"{name} done in {record['wall_clock_s']:.0f} s"
        else:
            what = f"{name} FAILED: {record.get('error')}"
        left = self.total - self.done
        self.print_line(f"sweep: {what}; {self.done}/{self.total} runs done"
                        + (f", about {_clock(time_left_s(self.durations, left, self.parallel))} left" if left else ""))


# ---------------------------------------------------------------------------- executors
class SweepInterrupted(Exception):
    """Ctrl-C: every finished run is intact; sweep.json says ``partial``."""


def run_sweep(out: Path, state: SweepState, runs: Sequence[RunSpec], workers: int = 1, address: str | None = None,
              print_line: Callable[[str], None] = print) -> SweepState:
    """Run every unfinished run of ``runs`` (in this process one after another, or as Ray tasks when
    ``workers`` > 1 or ``address`` is given) and keep ``out/sweep.json`` up to date after each.

    Returns:
        the final state: ``status`` ``"complete"``, or ``"partial"`` when a run failed (its error is recorded).

    Raises:
        SweepInterrupted: Ctrl-C (sweep.json is written ``partial`` first).
    """
    out = Path(out)
    name = {run.path: str(Path(run.path).relative_to(out.resolve())) for run in runs}
    todo = []
    for run in runs:
        if is_finished(run):
            state.runs[name[run.path]] = read_marker(Path(run.path))
        else:
            todo.append(run)
            state.runs[name[run.path]] = {"status": "pending", "seed": run.seed, "setting": run.setting}
    state.status = "running" if todo else "complete"
    write_state(out, state)
    parallel = 1 if address is None and workers <= 1 else max(1, workers)
    progress = Progress(len(runs), len(runs) - len(todo), parallel, print_line)
    where = ("in this process, one after another" if address is None and workers <= 1 else
             f"on Ray at {address}" if address else f"on a local Ray instance, {workers} at a time")
    print_line(f"sweep: {len(runs)} runs, {len(runs) - len(todo)} already finished, {len(todo)} to run ({where})")

    def finish(run: RunSpec, record: dict[str, Any]) -> None:
        state.runs[name[run.path]] = record
        write_state(out, state)
        progress.update(name[run.path], record)

    try:
        if address is None and workers <= 1:
            _run_in_turn(todo, finish)
        else:
            _run_on_ray(todo, finish, workers, address)
    except BaseException:
        for run in todo:
            if state.runs[name[run.path]]["status"] in ("pending", "running"):
                state.runs[name[run.path]] = {"status": "interrupted", "seed": run.seed, "setting": run.setting}
        state.status = "partial"
        write_state(out, state)
        raise
    state.status = "complete" if all(r["status"] == "done" for r in state.runs.values()) else "partial"
    write_state(out, state)
    return state


def _failed(run: RunSpec, exc: BaseException) -> dict[str, Any]:
    return {"status": "failed", "seed": run.seed, "setting": run.setting, "error": f"{type(exc).__name__}: {exc}"}


def _run_in_turn(todo: Sequence[RunSpec], finish: Callable[[RunSpec, dict], None]) -> None:
    from train.run_guard import TrainingInterrupted

    for run in todo:
        try:
            record = run_one(run)
        except (TrainingInterrupted, KeyboardInterrupt):
            raise SweepInterrupted from None
        except Exception as exc:  # noqa: BLE001 - one failed run is recorded; the others go on
            record = _failed(run, exc)
        finish(run, record)


def _run_on_ray(todo: Sequence[RunSpec], finish: Callable[[RunSpec, dict], None], workers: int,
                address: str | None) -> None:
    try:
        import ray
    except ImportError:
        raise RuntimeError("--workers > 1 and --address need the optional Ray extra: pip install "
                           "'quadgait[ray]'") from None
    from train.bench.runner import check_ray_address

    if address is not None:
        check_ray_address(address)
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, num_cpus=None if address else workers, include_dashboard=False,
                 log_to_driver=False)
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(run_one)
        futures = {remote.remote(run): run for run in todo}
        pending = list(futures)
        try:
            while pending:
                ready, pending = ray.wait(pending, num_returns=1)
                run = futures[ready[0]]
                try:
                    record = ray.get(ready[0])
                except Exception as exc:  # noqa: BLE001 - the run raised, or its worker died
                    record = _failed(run, exc)
                finish(run, record)
        except KeyboardInterrupt:
            for future in pending:
                ray.cancel(future, force=True)
            raise SweepInterrupted from None
    finally:
        if started:
            ray.shutdown()


def finished_runs(sweep: Path) -> dict[str, list[Path]]:
    """The finished run folders of a sweep, per setting (``""`` without a grid), in seed order.

    Raises:
        ValueError: no sweep.json there.
    """
    state = read_state(Path(sweep))
    if state is None:
        raise ValueError(f"no {SWEEP_FILE} in {str(sweep)!r}: not a sweep folder (quadgait sweep writes one)")
    by_setting: dict[str, list[tuple[int, Path]]] = {}
    for rel in state.runs:
        path = Path(sweep) / rel
        marker = read_marker(path)
        if marker is not None and marker.get("status") == "done":
            by_setting.setdefault(marker.get("setting", ""), []).append((int(marker["seed"]), path))
    return {k: [p for _, p in sorted(v)] for k, v in sorted(by_setting.items())}
