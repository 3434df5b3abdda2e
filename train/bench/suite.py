"""A benchmark run as two library calls: :func:`plan_benchmark` checks the inputs and lays out the cells (nothing
runs), :func:`run_benchmark` runs them (serially, in local worker processes or on Ray) and writes the report.

``quadgait bench`` is a thin layer over them (it adds a progress bar and prints the table); a test or a notebook
calls them the same way::

    plan = plan_benchmark("results", ["trot"], ["flat-0.5"], episodes=1)
    run = run_benchmark(plan)
    run.results["summary"], run.written
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from train.bench import report, runner, sim_to_sim
from train.bench.scenarios import DEFAULT_SUITE, Scenario, get_scenario

MAX_EPISODES = 1000


@dataclass(frozen=True)
class BenchmarkPlan:
    """What a run will do: every cell (controller × scenario × episode) and where the report goes.

    Attributes:
        out: the report folder (created and checked writable by :func:`plan_benchmark`).
        controllers, scenarios: in report order, without duplicates.
        cells: the episodes to run, one :class:`~train.bench.runner.Cell` each.
        episodes: episodes per controller × scenario.
        robot: the robot every cell runs.
        workers: local worker processes (1 = serial); ``ray``: a Ray address instead (None: no Ray).
        command_line: how the run was asked for, recorded in the report.
        engines: the physics engines compared (one: no sim-to-sim table); ``engine_skipped``: why scenarios that
            cannot run in an engine were left out (one line each).
    """

    out: Path
    controllers: tuple[str, ...]
    scenarios: tuple[Scenario, ...]
    cells: tuple[runner.Cell, ...]
    episodes: int
    robot: str
    workers: int = 1
    ray: str | None = None
    command_line: str = ""
    engines: tuple[str, ...] = ("pybullet",)
    engine_skipped: tuple[str, ...] = ()

    @property
    def executor(self) -> str:
        """How the cells run, in words (recorded in the report)."""
        if self.ray:
            return f"ray ({self.ray})"
        return f"{self.workers} local workers" if self.workers > 1 else "serial"


@dataclass(frozen=True)
class BenchmarkRun:
    """What a run produced: ``results`` is the ``results.json`` content (:func:`train.bench.report.build_results`),
    ``records`` one per finished cell, ``written`` the report files; ``interrupted``: stopped by Ctrl-C (the report
    is partial)."""

    plan: BenchmarkPlan
    results: dict[str, Any]
    records: list[dict[str, Any]]
    written: list[Path]
    wall_clock_s: float
    interrupted: bool

    @property
    def failed(self) -> int:
        """Cells that failed (a crash or an error, not a fall: a fall is a result)."""
        return len(self.results["failures"])


class ReportNotSaved(Exception):
    """The cells ran but the report could not be written: ``run`` holds their results (nothing ``written``),
    ``error`` the :class:`OSError` (its ``filename`` names the file being written)."""

    def __init__(self, run: BenchmarkRun, error: OSError) -> None:
        super().__init__(f"the report could not be written: {error}")
        self.run, self.error = run, error


def plan_benchmark(out: str | Path, controllers: Sequence[str] | None = None, scenarios: Sequence[str] | None = None,
                   *, episodes: int = 3, robot: str | None = None, terrain: str | None = None, workers: int = 1,
                   ray: str | None = None, save_rollouts: bool = False, outside_range: bool = False,
                   trust_pickle: bool = False, engines: Sequence[str] | None = None,
                   command_line: str = "") -> BenchmarkPlan:
    """Check the inputs and lay out the cells; then create ``out``. Nothing runs.

    Args:
        out: report folder.
        controllers: controller names (:func:`envs.controllers.resolve_controller`); None: every built-in gait.
        scenarios: scenario names (:mod:`train.bench.scenarios`); None: the default suite.
        episodes: episodes per controller × scenario, 1 ... 1000.
        robot: robot description name (None: the default robot).
        terrain: run every scenario on this terrain (``TYPE:LEVEL``), overriding its own; the scenario names get
            ``@TERRAIN``.
        workers: local worker processes (1 = serial); ray: a Ray address instead (``"local"`` starts one).
        save_rollouts: also save every episode as ``.npz`` under ``out/rollouts``.
        outside_range: run (and flag) a policy's cells whose command lies outside its training range, instead of
            skipping them.
        trust_pickle: let a policy's loader unpickle legacy files.
        engines: physics engines (:mod:`envs.engine`; None: PyBullet only). With two, every scenario runs in each
            and the report gets a sim-to-sim table (:mod:`train.bench.sim_to_sim`); scenarios an engine cannot run
            are left out, with the reason in :attr:`BenchmarkPlan.engine_skipped`.
        command_line: how the run was asked for, for the report.

    Raises:
        ValueError: an unknown controller, scenario or robot, settings out of range, or no scenario that the
            engines can run (before ``out`` is made).
        train.paths.OutputPathError: ``out`` cannot be created or written.
    """
    from envs.controllers import builtin_controller_names, check_controller_name
    from envs.robots import DEFAULT_ROBOT, get_robot
    from train.paths import prepare_output_dir

    names = tuple(dict.fromkeys(controllers or builtin_controller_names()))
    for name in names:
        check_controller_name(name)
    chosen = [get_scenario(n) for n in dict.fromkeys(scenarios or DEFAULT_SUITE)]
    if terrain is not None:
        chosen = [dataclasses.replace(s, name=f"{s.name}@{terrain}",
                                      env_settings={**s.env_settings, "terrain": terrain}) for s in chosen]
    engine_names = list(dict.fromkeys(engines or [sim_to_sim.REFERENCE]))
    chosen, skipped = sim_to_sim.engine_scenarios(chosen, engine_names)
    if not chosen:
        raise ValueError("no scenario can run in the engine(s) asked for: " + "; ".join(skipped))
    robot_name = get_robot(robot or DEFAULT_ROBOT).name
    if not 1 <= episodes <= MAX_EPISODES:
        raise ValueError(f"episodes must be in [1, {MAX_EPISODES}], got {episodes}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if ray and workers > 1:
        raise ValueError("ray and workers > 1 cannot be combined")
    if ray:
        runner.check_ray_address(ray)
    out_dir = prepare_output_dir(out, "the report folder")
    rollout_dir = str(out_dir / "rollouts") if save_rollouts else None
    cells = runner.make_cells(names, chosen, episodes, robot_name, rollout_dir, outside_range=outside_range,
                              trust_pickle=trust_pickle)
    return BenchmarkPlan(out_dir, names, tuple(chosen), tuple(cells), episodes, robot_name, workers, ray or None,
                         command_line, tuple(engine_names), tuple(skipped))


def run_benchmark(plan: BenchmarkPlan, progress: Callable[[dict], None] | None = None,
                  augment: Callable[[dict, list[dict]], None] | None = None) -> BenchmarkRun:
    """Run the plan's cells and write the report (``results.json``, ``results.md``, plots; with two engines the
    sim-to-sim comparison too) into ``plan.out``.

    ``progress`` is called with each finished cell's record; ``augment(results, records)`` may add entries to the
    results (e.g. ``"statistics"``, :mod:`train.bench.stats`) before the report is written. Ctrl-C stops handing
    out cells; the cells that finished are reported (``interrupted`` True) and :class:`KeyboardInterrupt` is not
    raised.
    """
    cells = list(plan.cells)
    start = time.perf_counter()
    interrupted = False
    try:
        if plan.ray:
            records = runner.run_ray(cells, plan.ray, progress)
        elif plan.workers > 1:
            records = runner.run_local(cells, plan.workers, progress)
        else:
            records = runner.run_serial(cells, progress)
    except runner.BenchInterrupted as exc:
        records, interrupted = exc.records, True
    wall = time.perf_counter() - start
    results = report.build_results(records, plan.controllers, plan.scenarios, episodes=plan.episodes,
                                   robot=plan.robot, command_line=plan.command_line, executor=plan.executor,
                                   wall_clock_s=wall, planned=len(cells), interrupted=interrupted)
    if list(plan.engines) != [sim_to_sim.REFERENCE]:
        courses = {s.name for s in plan.scenarios if s.schedule is not None}
        results["sim_to_sim"] = {"engines": list(plan.engines), "distance_band": sim_to_sim.DISTANCE_BAND,
                                 "rows": sim_to_sim.compare(results["summary"], courses),
                                 "skipped": list(plan.engine_skipped)}
    if augment is not None:
        augment(results, records)
    try:
        written = report.write_report(plan.out, results, records)
    except OSError as exc:  # a full disk, say: the run is kept for the caller to report
        raise ReportNotSaved(BenchmarkRun(plan, results, records, [], wall, interrupted), exc) from None
    return BenchmarkRun(plan, results, records, written, wall, interrupted)
