"""Run benchmark cells (controller × scenario × episode) serially, in local worker processes, or on Ray.

Every cell is independent and fully determined by (controller, scenario, episode): its seed comes from the scenario,
so serial, ``--workers N`` and Ray runs give identical numbers. A cell that raises, or whose worker process dies,
is recorded as failed with its error; the other cells are unaffected.

Ctrl-C: the executors stop handing out cells and raise :class:`BenchInterrupted` with the records finished so far
(workers ignore SIGINT and are stopped by the parent). Workers also die with their parent, even when it is killed by
SIGKILL (``PR_SET_PDEATHSIG`` on Linux, and each worker closes the parent's ends of the pipes it inherited, so it
sees EOF).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import socket
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from train.bench.scenarios import Scenario


@dataclass(frozen=True)
class Cell:
    controller: str
    scenario: Scenario
    episode: int
    robot: str = "laikago_fast"
    rollout_dir: str | None = None
    #: Run (and flag) a policy's cell whose command lies outside the policy's training range.
    outside_range: bool = False
    #: Let a policy's loader unpickle legacy files (``--trust-pickle``).
    trust_pickle: bool = False

    @property
    def seed(self) -> int:
        return self.scenario.seed(self.episode)

    @property
    def key(self) -> str:
        return f"{self.controller} | {self.scenario.name} | episode {self.episode}"


class BenchInterrupted(Exception):
    """Ctrl-C during a benchmark; ``records`` holds the cells that finished."""

    def __init__(self, records: list[dict]) -> None:
        super().__init__(f"interrupted after {len(records)} cell(s)")
        self.records = records


def run_cell(cell: Cell) -> dict[str, Any]:
    """Run one episode and return its record: identification, ``status`` and ``metrics`` (or ``error``).

    The scenario's command is held by the controller's own env task (a policy runs in the env it was trained
    in); a command outside a policy's training range is not run unless the cell asks for it, and is then flagged
    (``status`` ``"outside_range"``, or ``command_in_training_range`` False in the record).
    """
    record: dict[str, Any] = {"controller": cell.controller, "scenario": cell.scenario.name,
                              "episode": cell.episode, "seed": cell.seed, "robot": cell.robot}
    try:
        import envs  # noqa: F401
        from envs.controllers import resolve_controller
        from envs.rollout import run_controller

        spec = resolve_controller(cell.controller, trust_pickle=cell.trust_pickle)
        if spec.robot is not None and spec.robot != cell.robot:
            raise ValueError(f"the policy was trained on robot {spec.robot!r}, the benchmark runs {cell.robot!r} "
                             f"(--robot {spec.robot} runs it)")
        scenario = cell.scenario
        record["command_range"] = spec.describe_range()
        in_range = all(spec.in_range(c) for c in scenario.commands())
        record["command_in_training_range"] = in_range
        if not in_range and not cell.outside_range:
            record["status"] = "outside_range"
            record["error"] = (f"scenario command outside the policy's training range ({spec.describe_range()}); "
                               "not run (--outside-range run runs and flags it)")
            return record
        settings = {"robot": cell.robot, **scenario.env_settings}
        episode = run_controller(spec, seconds=scenario.seconds, seed=cell.seed, settings=settings,
                                 options=scenario.reset_options())
        rollout = episode.rollout
        record["metrics"] = episode.summary["metrics"]
        record["trace"] = {"time_s": rollout.time_s[::5].tolist(),
                           "forward_speed_mps": rollout.base_lin_vel_body[::5, 0].tolist(),
                           "command_mps": rollout.command[::5, 0].tolist()}
        record["contacts"] = _contact_window(rollout)
        if cell.rollout_dir:
            path = save_rollout(Path(cell.rollout_dir) / _rollout_name(cell), rollout, settings, cell)
            record["rollout_file"] = str(path)
        record["status"] = "ok"
    except Exception as exc:  # noqa: BLE001 - a failed cell is data, not a crash of the benchmark
        record["status"] = "failed"
        record["error"] = f"{type(exc).__name__}: {exc}"
        record["traceback"] = traceback.format_exc(limit=5)
    return record


def _contact_window(rollout, seconds: float = 3.0) -> dict[str, Any]:
    """The last ``seconds`` of foot contacts (for the footfall diagram), as compact lists."""
    keep = rollout.time_s >= rollout.time_s[-1] - seconds
    return {"time_s": rollout.time_s[keep].tolist(), "contacts": rollout.foot_contacts[keep].astype(int).tolist()}


def _rollout_name(cell: Cell) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in cell.controller)
    return f"{safe}__{cell.scenario.name}__ep{cell.episode}.npz"


def save_rollout(path: Path, rollout, settings: dict[str, Any], cell: Cell) -> Path:
    """Save a rollout's arrays and its settings as a compressed ``.npz`` (atomically)."""
    import json

    from train.atomic import atomic_path, to_jsonable

    meta = {"settings": settings, "scenario": cell.scenario.to_dict(), "controller": cell.controller,
            "episode": cell.episode, "seed": cell.seed}
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **rollout.to_dict(), meta_json=np.array(json.dumps(to_jsonable(meta))))
    return path


# ---------------------------------------------------------------------------- executors
def run_serial(cells: list[Cell], progress: Callable[[dict], None] | None = None) -> list[dict]:
    results: list[dict] = []
    try:
        for cell in cells:
            results.append(run_cell(cell))
            if progress:
                progress(results[-1])
    except KeyboardInterrupt:
        raise BenchInterrupted(results) from None
    return results


def _die_with_parent(parent_pid: int) -> None:
    """Linux: have the kernel send SIGTERM to this process when its parent dies; exit if it already has."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:
        os._exit(1)


def _worker(conn, parent_pid: int, inherited: list) -> None:
    """Worker loop: receive (index, cell), send back (index, record); ``None`` or the parent's exit ends it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    for other in inherited:  # the parent's pipe ends, copied by fork: holding them would hide the parent's death
        other.close()
    _die_with_parent(parent_pid)
    while True:
        try:
            item = conn.recv()
        except (EOFError, OSError):
            return
        if item is None:
            return
        index, cell = item
        conn.send((index, run_cell(cell)))


def _failed(cell: Cell, error: str) -> dict:
    return {"controller": cell.controller, "scenario": cell.scenario.name, "episode": cell.episode,
            "seed": cell.seed, "robot": cell.robot, "status": "failed", "error": error}


def run_local(cells: list[Cell], workers: int, progress: Callable[[dict], None] | None = None) -> list[dict]:
    """Run cells in ``workers`` processes. A worker that dies marks its current cell failed and is replaced.

    Each worker has its own pipe and the parent records which cell it handed to which worker, so a worker that
    dies mid-cell (even one killed by a signal) is attributed correctly.
    """
    from multiprocessing.connection import wait

    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    todo = list(enumerate(cells))
    todo.reverse()  # pop() from the end hands out cells in order
    out: list[dict | None] = [None] * len(cells)
    pool: dict[Any, tuple[Any, Any]] = {}  # parent connection -> (process, assigned index or None)

    def spawn() -> None:
        parent, child = ctx.Pipe()
        inherited = [parent, *pool] if ctx.get_start_method() == "fork" else []
        proc = ctx.Process(target=_worker, args=(child, os.getpid(), inherited), daemon=True)
        proc.start()
        child.close()
        pool[parent] = (proc, None)

    def feed(conn) -> None:
        proc, _ = pool[conn]
        if todo:
            index, cell = todo.pop()
            conn.send((index, cell))
            pool[conn] = (proc, index)
        else:
            conn.send(None)
            pool[conn] = (proc, None)

    def finish(index: int, record: dict) -> None:
        out[index] = record
        if progress:
            progress(record)

    interrupted = False
    try:
        for _ in range(max(1, min(workers, len(cells)))):
            spawn()
        for conn in list(pool):
            feed(conn)
        while any(index is not None for _, index in pool.values()):
            busy = {conn: proc for conn, (proc, index) in pool.items() if index is not None}
            ready = wait(list(busy) + [proc.sentinel for proc in busy.values()])
            for conn, proc in busy.items():
                index = pool[conn][1]
                if conn in ready:
                    try:
                        got_index, record = conn.recv()
                    except (EOFError, OSError):  # died while sending
                        got_index, record = index, None
                    if record is not None:
                        finish(got_index, record)
                        feed(conn)
                        continue
                if proc.sentinel in ready or not proc.is_alive():
                    proc.join(timeout=1)
                    if out[index] is None:
                        finish(index, _failed(cells[index], f"worker process died (exit code {proc.exitcode})"))
                    del pool[conn]
                    conn.close()
                    if todo:
                        spawn()
                        feed(list(pool)[-1])
    except KeyboardInterrupt:
        interrupted = True
    finally:
        for conn, (proc, index) in pool.items():
            if interrupted and index is not None:
                proc.terminate()  # its cell is abandoned
            try:
                conn.send(None)
            except (BrokenPipeError, OSError):
                pass
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)
    done = [r for r in out if r is not None]
    if interrupted:
        raise BenchInterrupted(done) from None
    return done


def check_ray_address(address: str, timeout_s: float = 3.0) -> None:
    """Check that a Ray address (``local``, ``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``) answers, within
    ``timeout_s``: ``ray.init`` itself retries an unreachable address for many minutes.

    Raises:
        RuntimeError: malformed, or nothing accepts connections there.
    """
    if address in ("local", "auto"):
        return
    host_port = address.split("://", 1)[1] if "://" in address else address
    host, _, port = host_port.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise RuntimeError(f"--ray {address!r}: expected 'local', 'auto', HOST:PORT or ray://HOST:PORT")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as exc:
        reason = "timed out" if isinstance(exc, socket.timeout) else (exc.strerror or type(exc).__name__)
        raise RuntimeError(f"cannot reach the Ray cluster at {address!r} ({reason}); is it running? "
                           "('--ray local' starts one here)") from None


def run_ray(cells: list[Cell], address: str, progress: Callable[[dict], None] | None = None) -> list[dict]:
    """Run cells as Ray tasks on the cluster at ``address`` (``"local"`` starts a local Ray instance)."""
    check_ray_address(address)
    try:
        import ray
    except ImportError:
        raise RuntimeError("--ray needs the optional Ray extra: pip install 'quadgait[ray]'") from None
    started = not ray.is_initialized()
    if started:
        ray.init(address=None if address == "local" else address, include_dashboard=False, log_to_driver=False)
    try:
        remote = ray.remote(max_retries=0)(run_cell)
        futures = {remote.remote(cell): i for i, cell in enumerate(cells)}
        out: list[dict | None] = [None] * len(cells)
        pending = list(futures)
        try:
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                index = futures[done[0]]
                try:
                    out[index] = ray.get(done[0])
                except Exception as exc:  # noqa: BLE001 - e.g. the worker crashed
                    out[index] = _failed(cells[index], f"{type(exc).__name__}: {exc}")
                if progress:
                    progress(out[index])
        except KeyboardInterrupt:
            for future in pending:
                ray.cancel(future, force=True)
            raise BenchInterrupted([r for r in out if r is not None]) from None
        return [r for r in out if r is not None]
    finally:
        if started:
            ray.shutdown()


def make_cells(controllers: Iterable[str], scenarios: Iterable[Scenario], episodes: int, robot: str,
               rollout_dir: str | None = None, outside_range: bool = False, trust_pickle: bool = False) -> list[Cell]:
    return [Cell(c, s, e, robot, rollout_dir, outside_range, trust_pickle) for s in scenarios for c in controllers
            for e in range(episodes)]
