"""The bodies of the ``quadgait`` sub-commands (the parser is in :mod:`train.cli`).

Each checks its inputs and output paths before any work starts and returns an exit code (:mod:`train.cli_types`).
"""

from __future__ import annotations

import argparse
import sys

from train.atomic import dumps, write_json
from train.cli_types import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_NOT_SAVED, EXIT_OK, CLIError
from train.paths import prepare_output_dir


def _trust_notice(args: argparse.Namespace) -> None:
    if getattr(args, "trust_pickle", False):
        print(f"quadgait {args.subcommand}: --trust-pickle: pickled files will be loaded; they can run arbitrary "
              "code, so use it only for files you trust", file=sys.stderr)


def _walk(args: argparse.Namespace, gait: str, command: tuple[float, float, float], render_mode: str | None,
          grabber=None):
    """(rollout, summary) of a scripted gait holding ``command`` (the env's task holds it; see envs.rollout)."""
    import envs  # noqa: F401
    from envs.rollout import run_controller

    name = gait if getattr(args, "controller", "open-loop") == "open-loop" else f"mpc-{gait}"
    episode = run_controller(name, seconds=args.seconds, seed=args.seed, command=command,
                             settings={"robot": args.robot, "terrain": getattr(args, "terrain", "flat"),
                                       "engine": getattr(args, "engine", "pybullet")},
                             render_mode=render_mode, on_step=grabber)
    return episode.rollout, {"gait": gait, **episode.summary}


def _check_walk_command(args: argparse.Namespace, command: tuple[float, float, float]) -> None:
    """The command within the chosen controller's supported range, checked before any output path is touched."""
    from envs.controllers import resolve_controller

    name = args.gait if args.controller == "open-loop" else f"mpc-{args.gait}"
    resolve_controller(name).check_command(command)


def cmd_walk(args: argparse.Namespace) -> int:
    from train.video import VideoWriter, check_video_path

    if args.gui and args.video:
        raise CLIError("--gui and --video cannot be combined (the GUI renders on screen, the video offscreen)")
    command = (args.speed, args.lateral_speed, args.yaw_rate)
    _check_walk_command(args, command)
    if args.video:
        check_video_path(args.video)
        with VideoWriter(args.video) as writer:
            rollout, summary = _walk(args, args.gait, command, "rgb_array", writer)
            summary["video"] = str(writer.finish())
    else:
        rollout, summary = _walk(args, args.gait, command, "human" if args.gui else None)
    summary["terrain"] = args.terrain
    summary["engine"] = args.engine
    if args.json:
        print(dumps(summary, indent=None))
    else:
        print(f"{summary['controller']} on {args.robot}: {summary['duration_s']:.1f} s, "
              f"distance {summary['distance_m']:.2f} m, mean forward speed {summary['mean_speed_mps']:.3f} m/s "
              f"(command {args.speed:.2f}), "
              f"heading drift {summary['heading_drift_deg']:.1f} deg, fell: {'yes' if rollout.fell else 'no'}, "
              f"gait measured: {summary['metrics']['gait']}")
        if args.video:
            print(f"video: {args.video}")
    return EXIT_FAILED if rollout.fell else EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from train.plots import footfall_diagram
    from train.video import VideoWriter

    out = prepare_output_dir(args.out, "--out")
    print(f"quadgait demo: {args.gait} at 0.5 m/s for {args.seconds:.0f} s on {args.robot} (rendering video) ...",
          flush=True)
    with VideoWriter(out / f"{args.gait}.mp4") as writer:
        rollout, summary = _walk(args, args.gait, (0.5, 0.0, 0.0), "rgb_array", writer)
        video = writer.finish()
    diagram = footfall_diagram([(f"{args.gait} (measured contacts)", rollout)], out / f"{args.gait}_footfall.png")
    write_json(out / "summary.json", summary)
    print(f"distance {summary['distance_m']:.2f} m, mean forward speed {summary['mean_speed_mps']:.3f} m/s, "
          f"heading drift {summary['heading_drift_deg']:.1f} deg, fell: {'yes' if rollout.fell else 'no'}, "
          f"measured gait: {summary['metrics']['gait']}, duty factor {summary['metrics']['duty_factor_mean']:.2f}")
    print(f"wrote {video}, {diagram} and {out / 'summary.json'}")
    return EXIT_FAILED if rollout.fell else EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    """``quadgait bench``: :func:`train.bench.suite.plan_benchmark` and :func:`~train.bench.suite.run_benchmark`,
    with a progress bar and the table printed."""
    import shlex

    from tqdm import tqdm

    from envs.controllers import builtin_controller_names
    from train.bench import report, suite

    if args.compare:
        return _compare(args.compare)
    groups = _sweep_groups(args.sweep)
    named = list(dict.fromkeys(args.controller or ([] if groups else builtin_controller_names())))
    groups = {**{c: [c] for c in named}, **groups}
    controllers = list(dict.fromkeys(m for members in groups.values() for m in members))
    argv = sys.argv[1:] if args.argv is None else args.argv
    plan = suite.plan_benchmark(args.out, controllers, args.scenario, episodes=args.episodes, robot=args.robot,
                                terrain=args.terrain, workers=args.workers, ray=args.ray,
                                save_rollouts=args.save_rollouts, outside_range=args.outside_range == "run",
                                trust_pickle=args.trust_pickle, engines=args.engine,
                                command_line="quadgait " + " ".join(shlex.quote(a) for a in argv))
    for line in plan.engine_skipped:
        print(f"quadgait bench: skipped {line}", file=sys.stderr)
    _trust_notice(args)
    bar = tqdm(total=len(plan.cells), unit="episode", desc="bench", disable=args.no_progress, file=sys.stderr)

    def progress(record: dict) -> None:
        bar.set_postfix_str(f"{record['controller']} / {record['scenario']}", refresh=False)
        bar.update(1)

    try:
        run = suite.run_benchmark(plan, progress, augment=lambda results, records: results.update(
            statistics=_statistics(records, groups, [sc.name for sc in plan.scenarios], args)))
    except suite.ReportNotSaved as exc:  # a full disk: the episodes ran; keep their summary, say what was not saved
        bar.close()
        results, error = exc.run.results, exc.error
        print(report.markdown_table(results) if not args.json else dumps({"summary": results["summary"]},
                                                                         indent=None))
        what = error.strerror or str(error) or type(error).__name__
        where = f" {str(error.filename)!r}" if error.filename else f" in {str(plan.out)!r}"
        print(f"quadgait bench: error: {len(exc.run.records)} of {len(plan.cells)} episodes ran, but the report "
              f"could not be written ({what}:{where}); their summary is on stdout above", file=sys.stderr)
        return EXIT_NOT_SAVED
    finally:
        bar.close()
    written = ", ".join(str(p) for p in run.written)
    if run.interrupted:
        print(f"quadgait bench: interrupted; {len(run.records)} of {len(plan.cells)} episodes finished; wrote a "
              f"partial report: {written}", file=sys.stderr)
        return EXIT_INTERRUPTED
    results = run.results
    if args.json:
        print(dumps({"suite_version": results["suite_version"], "summary": results["summary"],
                     **({"sim_to_sim": results["sim_to_sim"]} if "sim_to_sim" in results else {}),
                     **({"statistics": results["statistics"]["cells"]} if results.get("statistics") else {}),
                     "failures": [{k: f[k] for k in ("controller", "scenario", "episode", "error")}
                                  for f in results["failures"]]}, indent=None))
    else:
        print(report.markdown_table(results) + report.statistics_markdown(results))
        print(f"{len(plan.cells)} episodes in {run.wall_clock_s:.1f} s ({plan.executor}); {run.failed} failed; "
              f"wrote {written}")
    return EXIT_FAILED if run.failed else EXIT_OK


def _compare(paths: list[str]) -> int:
    from train.bench import leaderboard

    try:
        a, b = (leaderboard.read_leaderboard(p) for p in paths)
        print(leaderboard.format_comparison(leaderboard.compare(a, b)))
    except leaderboard.LeaderboardError as exc:
        raise CLIError(str(exc)) from None
    return EXIT_OK


def _sweep_groups(sweeps: list[str]) -> dict[str, list[str]]:
    """Controller groups of ``--sweep`` folders: one per setting, its finished runs (one per seed)."""
    from pathlib import Path

    from train.sweep import finished_runs

    groups: dict[str, list[str]] = {}
    for folder in sweeps:
        by_setting = finished_runs(Path(folder))
        if not by_setting:
            raise CLIError(f"--sweep {folder}: no finished run yet (quadgait sweep --out {folder} ... runs them)")
        name = Path(folder).resolve().name
        for setting, runs in by_setting.items():
            groups[f"{name}[{setting}]" if setting else name] = [str(p) for p in runs]
    return groups


def _statistics(records: list[dict], groups: dict[str, list[str]], scenarios: list[str],
                args: argparse.Namespace) -> dict | None:
    """Aggregate statistics (train.bench.stats), or None with a note when rliable is not installed."""
    from importlib import metadata
    from pathlib import Path

    from train.bench import leaderboard, stats
    from train.callbacks import read_eval_csv
    from train.sweep import read_state

    if not stats.available():
        print("quadgait bench: no intervals: aggregate statistics need the optional extra (pip install "
              "'quadgait[stats]')", file=sys.stderr)
        return None
    eval_rows = {g: [rows for m in members if (rows := read_eval_csv(Path(m) / "eval.csv"))]
                 for g, members in groups.items() if Path(members[0]).is_dir()}
    summary = stats.summarize(records, groups, scenarios, eval_rows, reps=args.bootstrap_reps)
    summary["git_commit"] = leaderboard.git_commit()
    try:
        summary["quadgait_version"] = metadata.version("quadgait")
    except metadata.PackageNotFoundError:
        summary["quadgait_version"] = "unknown"
    summary["sweep_commands"] = [c for folder in args.sweep for c in (read_state(Path(folder)).commands or [])]
    return summary


def cmd_train(args: argparse.Namespace) -> int:
    import shlex
    import time

    from train.run_guard import TrainingInterrupted
    from train.training import train

    if args.out is None and args.resume is None:
        raise CLIError("give a run folder with --out RUN_DIR (or continue one with --resume RUN_DIR)")
    argv = sys.argv[1:] if args.argv is None else args.argv
    _trust_notice(args)
    from train.callbacks import process_age_s

    start = time.perf_counter()
    try:
        out = train(args.env, args.algo, args.timesteps, args.envs, args.seed, args.out,
                    hyperparams_path=args.hyperparams, resume=args.resume, progress=not args.no_progress,
                    command="quadgait " + shlex.join(argv), trust_pickle=args.trust_pickle,
                    started_s_ago=process_age_s())
    except (EOFError, ConnectionResetError, BrokenPipeError) as exc:  # the pipe to a SubprocVecEnv worker broke
        run = args.out or args.resume
        raise CLIError(f"an env worker process died ({type(exc).__name__}); the run's checkpoints are intact: "
                       f"continue with quadgait train --resume {shlex.quote(str(run))} --timesteps "
                       f"{args.timesteps}") from None
    except TrainingInterrupted as stop:
        saved = f"saved {stop.checkpoint}" if stop.checkpoint is not None else "no checkpoint could be saved"
        print(f"quadgait train: interrupted at step {stop.step}; {saved}; continue with: quadgait train --resume "
              f"{shlex.quote(str(stop.run))} --timesteps {args.timesteps}", file=sys.stderr)
        return EXIT_INTERRUPTED
    from train.callbacks import read_eval_csv

    rows = read_eval_csv(out / "eval.csv")
    last = (f"; last evaluation at step {rows[-1]['step']}: {rows[-1]['mean_speed_mps']:.3f} m/s, "
            f"{'fell' if rows[-1]['fell'] else 'stayed up'}") if rows else ""
    print(f"trained for {time.perf_counter() - start:.0f} s into {out}{last}")
    print(f"next: quadgait eval {out}   |   tensorboard --logdir {out / 'tb'}")
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    import shlex

    from train import sweep

    out = prepare_output_dir(args.out, "--out")
    argv = sys.argv[1:] if args.argv is None else args.argv
    state, runs = sweep.plan(out, args.env, args.algo.strip().lower(), args.seeds, args.timesteps, args.envs,
                             sweep.parse_grid(args.grid), args.hyperparams, command="quadgait " + shlex.join(argv))

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        state = sweep.run_sweep(out, state, runs, args.workers, args.address, say)
    except sweep.SweepInterrupted:
        done = sum(r["status"] == "done" for r in sweep.read_state(out).runs.values())
        print(f"quadgait sweep: interrupted; {done} of {len(runs)} runs finished and kept; {out / sweep.SWEEP_FILE} "
              "says partial; rerun the same command to finish the rest", file=sys.stderr)
        return EXIT_INTERRUPTED
    failed = {k: r for k, r in state.runs.items() if r["status"] != "done"}
    for name, record in failed.items():
        print(f"quadgait sweep: {name}: {record.get('error', record['status'])}", file=sys.stderr)
    print(f"sweep {state.status}: {len(state.runs) - len(failed)} of {len(state.runs)} runs finished in {out}; "
          f"next: quadgait bench --sweep {shlex.quote(str(out))} --out {shlex.quote(str(out / 'bench'))}")
    return EXIT_FAILED if failed else EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from train.evaluate import evaluate

    _trust_notice(args)
    summary = evaluate(args.policy, args.seconds, args.seed, video=args.video, terrain=args.terrain,
                       command=args.command, trust_pickle=args.trust_pickle)
    if args.json:
        print(dumps(summary, indent=None))
    else:
        c = summary["command"]
        command = ("varies" if summary["command_varies"] else
                   f"{c['vx_mps']:.2f} m/s, {c['vy_mps']:.2f} m/s, {c['yaw_rate_radps']:.2f} rad/s")
        flag = "" if summary["command_in_training_range"] else \
            f" [outside the policy's training range: {summary['command_range']}]"
        print(f"{args.policy} in {summary['env_id']} on {summary['robot']}: {summary['duration_s']:.1f} s, "
              f"distance {summary['distance_m']:.2f} m, mean forward speed {summary['mean_speed_mps']:.3f} m/s "
              f"(command {command}{flag}), heading drift {summary['heading_drift_deg']:.1f} deg, "
              f"fell: {'yes' if summary['fell'] else 'no'}, gait measured: {summary['metrics']['gait']}")
        if args.video:
            print(f"video: {summary['video']}")
    return EXIT_FAILED if summary["fell"] else EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from envs.controllers import resolve_policy
    from train.export import export_onnx

    _trust_notice(args)
    info = export_onnx(resolve_policy(args.policy), args.onnx, trust_pickle=args.trust_pickle)
    width = info["obs_dim"] - 3 if info["command_input"] else info["obs_dim"]
    folded = ", normalisation folded in" if info["normalized"] else ""
    inputs = f"input 'observation' float32 [batch, {width}] (raw{folded})"
    if info["command_input"]:
        inputs = (f"inputs 'observation' float32 [batch, {width}] (raw, without the command; normalisation folded "
                  "in) and 'command' float32 [batch, 3] (vx m/s, vy m/s, yaw rate rad/s)")
    print(f"wrote {info['path']}: {inputs}, output 'action' [batch, {info['act_dim']}]; "
          f"max |onnx - stable-baselines3| = {info['max_abs_error']:.1e} on {info['checked']} observations")
    return EXIT_OK


def cmd_convert(args: argparse.Namespace) -> int:
    from train.convert import convert_run

    _trust_notice(args)
    written = convert_run(args.run, trust_pickle=args.trust_pickle)
    if not written:
        print(f"{args.run} is already in the current format")
    else:
        print("wrote " + ", ".join(str(p) for p in written) + "; the .pkl files are no longer read and can be "
              "deleted")
    return EXIT_OK


