"""``quadgait`` command line: a thin layer over library functions.

Sub-commands: ``demo`` (the trot demo with video and footfall diagram), ``walk`` (run a scripted gait and report),
``bench`` (benchmark controllers), ``train`` (train a policy into a run folder), ``eval`` (evaluate a run folder or
model like ``walk``), ``export`` (write a run's policy as ONNX).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from train.atomic import dumps, write_json


#: Contact-phase metrics skip the 1 s start-up ramp of the scripted gaits and one more second of settling.
GAIT_WINDOW_START_S = 2.0


class CLIError(Exception):
    """A user error: printed as one line on stderr, exit code 2."""


def _finite(kind: type, lo: float | None = None, hi: float | None = None):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value) or (lo is not None and value < lo) or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"{text!r} is out of range [{lo}, {hi}]")
        return value
    return parse


def _count(text: str) -> int:
    """A whole number of steps, also written as 2e6 or 2_000_000."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not math.isfinite(value) or value != int(value) or value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(value)


def _terrain(text: str) -> str:
    from envs.terrain import TerrainSpec

    try:
        return TerrainSpec.parse(text).name
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_rollout_args(p: argparse.ArgumentParser, default_seconds: float) -> None:
    from envs.robots import DEFAULT_ROBOT, robot_names

    p.add_argument("--robot", default=DEFAULT_ROBOT, choices=robot_names(), help="robot description")
    p.add_argument("--seconds", type=_finite(float, 0.1, 3600), default=default_seconds, help="episode length, s")
    p.add_argument("--seed", type=int, default=0, help="reset seed")


def build_parser() -> argparse.ArgumentParser:
    from train.controllers import builtin_controller_names

    parser = argparse.ArgumentParser(prog="quadgait", description="Quadruped gait simulator (PyBullet Laikago).")
    sub = parser.add_subparsers(dest="command", required=True)

    walk = sub.add_parser("walk", help="run a scripted gait and print distance, speed, heading drift, falls")
    walk.add_argument("--gait", default="trot", choices=builtin_controller_names())
    walk.add_argument("--speed", type=_finite(float, -1.5, 1.5), default=0.5, help="forward speed command, m/s")
    walk.add_argument("--lateral-speed", type=_finite(float, -1.0, 1.0), default=0.0, help="m/s, + = left")
    walk.add_argument("--yaw-rate", type=_finite(float, -2.0, 2.0), default=0.0, help="rad/s, + = turn left")
    _add_rollout_args(walk, 20.0)
    walk.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    walk.add_argument("--video", metavar="FILE.mp4", help="write a follow-camera video (.mp4 or .gif)")
    walk.add_argument("--gui", action="store_true", help="open the PyBullet GUI (needs a display)")
    walk.add_argument("--terrain", type=_terrain, default="flat", metavar="TYPE:LEVEL",
                      help="flat, rough:L, slope:L or stairs:L with L in 0..9 (default flat)")
    walk.set_defaults(func=cmd_walk)

    bench = sub.add_parser("bench", help="run controllers through benchmark scenarios and write a report")
    bench.add_argument("--controller", action="append", metavar="NAME_OR_PATH",
                       help="built-in gait name or a run folder / .zip model (repeatable; default: all gaits)")
    bench.add_argument("--scenario", action="append", metavar="NAME",
                       help="scenario name (repeatable; default: the whole suite)")
    bench.add_argument("--episodes", type=int, default=3, help="episodes per controller x scenario (default 3)")
    bench.add_argument("--out", default="results", help="output folder (default results/)")
    bench.add_argument("--robot", default=None, help="robot description (default laikago_fast)")
    bench.add_argument("--workers", type=int, default=1, help="local worker processes (default 1 = serial)")
    bench.add_argument("--ray", metavar="ADDRESS", help="run on a Ray cluster ('local' starts one here)")
    bench.add_argument("--save-rollouts", action="store_true", help="also save every episode as .npz")
    bench.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    bench.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    bench.add_argument("--terrain", type=_terrain, default=None, metavar="TYPE:LEVEL",
                       help="run every scenario on this terrain (overrides the scenarios' own)")
    bench.set_defaults(func=cmd_bench)

    demo = sub.add_parser("demo", help="trot for 10 s; write video, footfall diagram and summary to --out")
    demo.add_argument("--out", default="runs/demo", help="output folder")
    demo.add_argument("--gait", default="trot", choices=builtin_controller_names())
    _add_rollout_args(demo, 10.0)
    demo.set_defaults(func=cmd_demo)

    train = sub.add_parser("train", help="train a policy (PPO or SAC) into a run folder; --resume continues one")
    train.add_argument("--env", default=None, metavar="ID", help="env id (default quadgait/LaikagoWalk-v0)")
    train.add_argument("--algo", default=None, metavar="NAME", help="ppo (default) or sac")
    train.add_argument("--timesteps", type=_count, required=True,
                       help="total env steps (all envs together); with --resume, the new total")
    train.add_argument("--envs", type=int, default=None, metavar="K", help="parallel envs (default: hyperparameters)")
    train.add_argument("--seed", type=int, default=0, help="seed for torch, numpy and the envs")
    train.add_argument("--out", default=None, metavar="RUN_DIR", help="run folder (default with --resume: that one)")
    train.add_argument("--hyperparams", default=None, metavar="FILE.yaml",
                       help="hyperparameter file (default: the packaged train/hyperparams/ALGO.yaml)")
    train.add_argument("--resume", default=None, metavar="RUN_DIR", help="continue from RUN_DIR's last checkpoint")
    train.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    train.set_defaults(func=cmd_train)

    ev = sub.add_parser("eval", help="roll a trained policy out and report like 'walk'")
    ev.add_argument("policy", metavar="RUN_DIR_OR_MODEL", help="run folder, model .zip or checkpoint")
    ev.add_argument("--seconds", type=_finite(float, 0.1, 3600), default=20.0, help="episode length, s")
    ev.add_argument("--seed", type=int, default=0, help="reset seed")
    ev.add_argument("--video", metavar="FILE.mp4", help="write a follow-camera video (.mp4 or .gif)")
    ev.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    ev.add_argument("--terrain", type=_terrain, default=None, metavar="TYPE:LEVEL",
                    help="terrain to evaluate on (default: the one the policy was trained on)")
    ev.set_defaults(func=cmd_eval)

    export = sub.add_parser("export", help="write a run's deterministic policy as ONNX (normalisation folded in)")
    export.add_argument("policy", metavar="RUN_DIR", help="run folder, model .zip or checkpoint")
    export.add_argument("--onnx", required=True, metavar="FILE.onnx", help="output file")
    export.set_defaults(func=cmd_export)
    return parser


def walk_summary(rollout, gait: str, robot: str, command: np.ndarray, seed: int) -> dict[str, Any]:
    """The numbers ``quadgait walk`` reports, plus the full metric set."""
    from envs import metrics

    summary = metrics.summarize(rollout, gait_window_start_s=GAIT_WINDOW_START_S)
    return {
        "gait": gait, "robot": robot, "seed": seed,
        "command": {"vx_mps": float(command[0]), "vy_mps": float(command[1]), "yaw_rate_radps": float(command[2])},
        "duration_s": summary["duration_s"],
        "distance_m": summary["distance_m"],
        "mean_speed_mps": summary["mean_forward_speed_mps"],
        "heading_drift_deg": summary["heading_drift_deg"],
        "fell": bool(rollout.fell),
        "metrics": summary,
    }


def _rollout(args: argparse.Namespace, gait: str, command: np.ndarray, render_mode: str | None, grabber=None):
    import gymnasium as gym

    import envs  # noqa: F401
    from train.controllers import make_controller
    from train.rollout import run_episode

    env = gym.make("quadgait/LaikagoWalk-v0", robot=args.robot, render_mode=render_mode,
                   terrain=getattr(args, "terrain", "flat"),
                   target_speed_mps=float(command[0]), episode_seconds=args.seconds)
    try:
        controller = make_controller(gait, env)
        rollout = run_episode(env, controller, command, args.seconds, seed=args.seed, on_step=grabber)
        return rollout, env.unwrapped.settings.control_hz
    finally:
        env.close()


def cmd_walk(args: argparse.Namespace) -> int:
    from train.video import FrameGrabber, check_video_path

    if args.gui and args.video:
        raise CLIError("--gui and --video cannot be combined (the GUI renders on screen, the video offscreen)")
    if args.video:
        check_video_path(args.video)
    command = np.array([args.speed, args.lateral_speed, args.yaw_rate])
    grabber = FrameGrabber(every=2) if args.video else None
    render_mode = "human" if args.gui else ("rgb_array" if args.video else None)
    rollout, control_hz = _rollout(args, args.gait, command, render_mode, grabber)
    summary = walk_summary(rollout, args.gait, args.robot, command, args.seed)
    summary["terrain"] = args.terrain
    if grabber is not None:
        grabber.write(args.video, grabber.fps(control_hz))
        summary["video"] = str(args.video)
    if args.json:
        print(dumps(summary, indent=None))
    else:
        print(f"{args.gait} on {args.robot}: {summary['duration_s']:.1f} s, distance {summary['distance_m']:.2f} m, "
              f"mean forward speed {summary['mean_speed_mps']:.3f} m/s (command {args.speed:.2f}), "
              f"heading drift {summary['heading_drift_deg']:.1f} deg, fell: {'yes' if rollout.fell else 'no'}, "
              f"gait measured: {summary['metrics']['gait']}")
        if args.video:
            print(f"video: {args.video}")
    return 1 if rollout.fell else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from train.plots import footfall_diagram
    from train.video import FrameGrabber

    out = Path(args.out)
    command = np.array([0.5, 0.0, 0.0])
    grabber = FrameGrabber(every=2)
    print(f"quadgait demo: {args.gait} at 0.5 m/s for {args.seconds:.0f} s on {args.robot} (rendering video) ...",
          flush=True)
    rollout, control_hz = _rollout(args, args.gait, command, "rgb_array", grabber)
    summary = walk_summary(rollout, args.gait, args.robot, command, args.seed)
    video = grabber.write(out / f"{args.gait}.mp4", grabber.fps(control_hz))
    diagram = footfall_diagram([(f"{args.gait} (measured contacts)", rollout)], out / f"{args.gait}_footfall.png")
    write_json(out / "summary.json", summary)
    print(f"distance {summary['distance_m']:.2f} m, mean forward speed {summary['mean_speed_mps']:.3f} m/s, "
          f"heading drift {summary['heading_drift_deg']:.1f} deg, fell: {'yes' if rollout.fell else 'no'}, "
          f"measured gait: {summary['metrics']['gait']}, duty factor {summary['metrics']['duty_factor_mean']:.2f}")
    print(f"wrote {video}, {diagram} and {out / 'summary.json'}")
    return 1 if rollout.fell else 0


def cmd_bench(args: argparse.Namespace) -> int:
    import shlex
    import time

    from envs.robots import DEFAULT_ROBOT, get_robot
    from train.bench import report, runner
    from train.bench.scenarios import DEFAULT_SUITE, get_scenario
    from train.controllers import builtin_controller_names, check_controller_name

    controllers = list(dict.fromkeys(args.controller or builtin_controller_names()))
    for name in controllers:
        check_controller_name(name)
    scenarios = [get_scenario(n) for n in dict.fromkeys(args.scenario or DEFAULT_SUITE)]
    if args.terrain is not None:
        import dataclasses

        scenarios = [dataclasses.replace(s, name=f"{s.name}@{args.terrain}",
                                         env_settings={**s.env_settings, "terrain": args.terrain})
                     for s in scenarios]
    robot = get_robot(args.robot or DEFAULT_ROBOT).name
    if not 1 <= args.episodes <= 1000:
        raise CLIError(f"--episodes must be in [1, 1000], got {args.episodes}")
    if args.workers < 1:
        raise CLIError(f"--workers must be at least 1, got {args.workers}")
    if args.ray and args.workers > 1:
        raise CLIError("--ray and --workers cannot be combined")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {str(out)!r} exists and is not a folder")
    rollout_dir = str(out / "rollouts") if args.save_rollouts else None
    cells = runner.make_cells(controllers, scenarios, args.episodes, robot, rollout_dir)

    from tqdm import tqdm

    bar = tqdm(total=len(cells), unit="episode", desc="bench", disable=args.no_progress, file=sys.stderr)

    def progress(record: dict) -> None:
        bar.set_postfix_str(f"{record['controller']} / {record['scenario']}", refresh=False)
        bar.update(1)

    start = time.perf_counter()
    try:
        if args.ray:
            records, executor = runner.run_ray(cells, args.ray, progress), f"ray ({args.ray})"
        elif args.workers > 1:
            records, executor = runner.run_local(cells, args.workers, progress), f"{args.workers} local workers"
        else:
            records, executor = runner.run_serial(cells, progress), "serial"
    finally:
        bar.close()
    wall = time.perf_counter() - start
    command_line = "quadgait " + " ".join(shlex.quote(a) for a in (sys.argv[1:] if args.argv is None else args.argv))
    results = report.build_results(records, controllers, scenarios, episodes=args.episodes, robot=robot,
                                   command_line=command_line, executor=executor, wall_clock_s=wall)
    written = report.write_report(out, results, records)
    failed = len(results["failures"])
    if args.json:
        print(dumps({"suite_version": results["suite_version"], "summary": results["summary"],
                     "failures": [{k: f[k] for k in ("controller", "scenario", "episode", "error")}
                                  for f in results["failures"]]}, indent=None))
    else:
        print(report.markdown_table(results))
        print(f"{len(cells)} episodes in {wall:.1f} s ({executor}); {failed} failed; wrote "
              + ", ".join(str(p) for p in written))
    return 1 if failed else 0


def cmd_train(args: argparse.Namespace) -> int:
    import shlex
    import time

    from train.training import train

    if args.out is None and args.resume is None:
        raise CLIError("give a run folder with --out RUN_DIR (or continue one with --resume RUN_DIR)")
    argv = sys.argv[1:] if args.argv is None else args.argv
    start = time.perf_counter()
    out = train(args.env, args.algo, args.timesteps, args.envs, args.seed, args.out,
                hyperparams_path=args.hyperparams, resume=args.resume, progress=not args.no_progress,
                command="quadgait " + shlex.join(argv))
    from train.callbacks import read_eval_csv

    rows = read_eval_csv(out / "eval.csv")
    last = (f"; last evaluation at step {rows[-1]['step']}: {rows[-1]['mean_speed_mps']:.3f} m/s, "
            f"{'fell' if rows[-1]['fell'] else 'stayed up'}") if rows else ""
    print(f"trained for {time.perf_counter() - start:.0f} s into {out}{last}")
    print(f"next: quadgait eval {out}   |   tensorboard --logdir {out / 'tb'}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from train.evaluate import evaluate

    summary = evaluate(args.policy, args.seconds, args.seed, video=args.video, terrain=args.terrain)
    if args.json:
        print(dumps(summary, indent=None))
    else:
        command = summary["command"]["vx_mps"]
        print(f"{args.policy} in {summary['env_id']} on {summary['robot']}: {summary['duration_s']:.1f} s, "
              f"distance {summary['distance_m']:.2f} m, mean forward speed {summary['mean_speed_mps']:.3f} m/s "
              f"(command {command:.2f}), heading drift {summary['heading_drift_deg']:.1f} deg, "
              f"fell: {'yes' if summary['fell'] else 'no'}, gait measured: {summary['metrics']['gait']}")
        if args.video:
            print(f"video: {summary['video']}")
    return 1 if summary["fell"] else 0


def cmd_export(args: argparse.Namespace) -> int:
    from train.controllers import resolve_policy
    from train.export import export_onnx

    info = export_onnx(resolve_policy(args.policy), args.onnx)
    print(f"wrote {info['path']}: input 'observation' float32 [batch, {info['obs_dim']}] (raw"
          f"{', normalisation folded in' if info['normalized'] else ''}), output 'action' [batch, {info['act_dim']}]; "
          f"max |onnx - stable-baselines3| = {info['max_abs_error']:.1e} on {info['checked']} observations")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = None if argv is None else list(argv)
    try:
        return args.func(args)
    except (CLIError, ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"quadgait {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
