"""``quadgait`` command line: a thin layer over library functions.

Sub-commands: ``demo`` (the trot demo with video and footfall diagram), ``walk`` (run a scripted gait and report),
``bench`` (benchmark controllers), ``train`` (train a policy into a run folder), ``eval`` (evaluate a run folder or
model like ``walk``), ``export`` (write a run's policy as ONNX). The bodies live in :mod:`train.commands`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from train.cli_types import (
    EXIT_BAD_INPUT,
    EXIT_BROKEN_PIPE,
    EXIT_INTERRUPTED,
    CLIError,
    command,
    count,
    finite,
    folder,
    int_range,
    seed,
    terrain,
)
from train.commands import cmd_bench, cmd_convert, cmd_demo, cmd_eval, cmd_export, cmd_sweep, cmd_train, cmd_walk
from train.play import cmd_play

TRUST_PICKLE_HELP = ("also load pickled files (legacy vecnormalize.pkl, models quadgait cannot rebuild from plain "
                     "data): they can run arbitrary code, so only for files you trust")


def _add_rollout_args(p: argparse.ArgumentParser, default_seconds: float) -> None:
    from envs.robots import DEFAULT_ROBOT, robot_names

    p.add_argument("--robot", default=DEFAULT_ROBOT, choices=robot_names(), help="robot description")
    p.add_argument("--seconds", type=finite(float, 0.1, 3600), default=default_seconds, help="episode length, s")
    p.add_argument("--seed", type=seed, default=0, help="reset seed, in [0, 2**32 - 1]")


def build_parser() -> argparse.ArgumentParser:
    from envs.engine import ENGINES
    from envs.gaits import GAIT_PRESETS

    def gait_names() -> list[str]:
        return sorted(GAIT_PRESETS)

    parser = argparse.ArgumentParser(prog="quadgait", description="Quadruped gait simulator (PyBullet Laikago).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__import__('quadgait').__version__}")
    sub = parser.add_subparsers(dest="subcommand", required=True)

    walk = sub.add_parser("walk", help="run a scripted gait and print distance, speed, heading drift, falls")
    walk.add_argument("--gait", default="trot", choices=gait_names())
    walk.add_argument("--controller", default="open-loop", choices=("open-loop", "mpc"),
                      help="open-loop foot trajectories (default) or the model-based stance-force controller")
    # The command's range is the controller's own (envs.controllers: OPEN_LOOP_/MODEL_BASED_COMMAND_LIMITS).
    walk.add_argument("--speed", type=finite(float), default=0.5,
                      help="forward speed command, m/s (open-loop: |v| <= 1.5, mpc: |v| <= 2.0)")
    walk.add_argument("--lateral-speed", type=finite(float), default=0.0, help="m/s, + = left (|v| <= 1.0)")
    walk.add_argument("--yaw-rate", type=finite(float), default=0.0, help="rad/s, + = turn left (|rate| <= 2.0)")
    _add_rollout_args(walk, 20.0)
    walk.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    walk.add_argument("--video", metavar="FILE.mp4", help="write a follow-camera video (.mp4 or .gif)")
    walk.add_argument("--gui", action="store_true", help="open the PyBullet GUI (needs a display)")
    walk.add_argument("--engine", default="pybullet", choices=ENGINES,
                      help="physics engine (default pybullet; mujoco: the twin, docs/sim-to-sim.md)")
    walk.add_argument("--terrain", type=terrain, default="flat", metavar="TYPE:LEVEL",
                      help="flat, rough:L, slope:L or stairs:L with L in 0..9 (default flat)")
    walk.set_defaults(func=cmd_walk)

    bench = sub.add_parser("bench", help="run controllers through benchmark scenarios and write a report")
    bench.add_argument("--controller", action="append", metavar="NAME_OR_PATH",
                       help="built-in gait (trot, ..., mpc-trot, ...), pretrained name or a run folder / .zip model "
                            "(repeatable; default: every built-in gait)")
    bench.add_argument("--scenario", action="append", metavar="NAME",
                       help="scenario name (repeatable; default: the whole suite)")
    bench.add_argument("--episodes", type=int, default=3, help="episodes per controller x scenario (default 3)")
    bench.add_argument("--out", type=folder, default="results", help="output folder (default results/)")
    bench.add_argument("--robot", default=None, help="robot description (default laikago_fast)")
    bench.add_argument("--workers", type=int, default=1, help="local worker processes (default 1 = serial)")
    bench.add_argument("--ray", metavar="ADDRESS", help="run on a Ray cluster ('local' starts one here)")
    bench.add_argument("--save-rollouts", action="store_true", help="also save every episode as .npz")
    bench.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    bench.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    bench.add_argument("--terrain", type=terrain, default=None, metavar="TYPE:LEVEL",
                       help="run every scenario on this terrain (overrides the scenarios' own)")
    bench.add_argument("--outside-range", choices=("skip", "run"), default="skip",
                       help="a policy's cells whose command lies outside its training range: skip them (default; "
                            "reported as outside the range) or run them flagged")
    bench.add_argument("--engine", action="append", choices=ENGINES, metavar="ENGINE",
                       help="physics engine, repeatable (pybullet, mujoco; default pybullet): with two, every "
                       "scenario runs in both and the report adds the sim-to-sim table (docs/sim-to-sim.md)")
    bench.add_argument("--sweep", action="append", default=[], metavar="SWEEP_DIR",
                       help="every finished run of a quadgait sweep, aggregated over its seeds as one controller "
                            "per setting (repeatable)")
    bench.add_argument("--bootstrap-reps", type=int_range(100, 100_000), default=2000, metavar="N",
                       help="bootstrap resamples of the 95%% intervals (default 2000; needs quadgait[stats])")
    bench.add_argument("--compare", nargs=2, metavar=("A.json", "B.json"),
                       help="run nothing: print which cells of two leaderboard files (OUT/leaderboard/*.json) "
                            "differ beyond their 95%% intervals")
    bench.add_argument("--trust-pickle", action="store_true", help=TRUST_PICKLE_HELP)
    bench.set_defaults(func=cmd_bench)

    demo = sub.add_parser("demo", help="trot for 10 s; write video, footfall diagram and summary to --out")
    demo.add_argument("--out", type=folder, default="runs/demo", help="output folder")
    demo.add_argument("--gait", default="trot", choices=gait_names())
    demo.add_argument("--controller", default="open-loop", choices=("open-loop", "mpc"),
                      help="open-loop foot trajectories (default) or the model-based stance-force controller")
    _add_rollout_args(demo, 10.0)
    demo.set_defaults(func=cmd_demo)

    train = sub.add_parser("train", help="train a policy (PPO or SAC) into a run folder; --resume continues one")
    train.add_argument("--env", default=None, metavar="ID", help="env id (default quadgait/LaikagoWalk-v0)")
    train.add_argument("--algo", default=None, metavar="NAME", help="ppo (default) or sac")
    train.add_argument("--timesteps", type=count, required=True,
                       help="total env steps (all envs together); with --resume, the new total")
    train.add_argument("--envs", type=int_range(1, 256), default=None, metavar="K",
                       help="parallel envs (default: the resumed run's, else the hyperparameters')")
    train.add_argument("--seed", type=seed, default=None,
                       help="seed for torch, numpy and the envs, in [0, 2**32 - 1] (default: the resumed run's, "
                            "else 0)")
    train.add_argument("--out", type=folder, default=None, metavar="RUN_DIR",
                       help="run folder (default with --resume: that one)")
    train.add_argument("--hyperparams", default=None, metavar="FILE.yaml",
                       help="hyperparameter file (default: the packaged train/hyperparams/ALGO.yaml)")
    train.add_argument("--resume", type=folder, default=None, metavar="RUN_DIR",
                       help="continue from RUN_DIR's last checkpoint")
    train.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    train.add_argument("--trust-pickle", action="store_true", help=TRUST_PICKLE_HELP)
    train.set_defaults(func=cmd_train)

    sweep = sub.add_parser("sweep", help="train one recipe over many seeds (and a grid of settings) into SWEEP/seed-S "
                                         "run folders, on Ray or one after another; a rerun finishes what is missing")
    sweep.add_argument("--env", default="quadgait/LaikagoWalk-v0", metavar="ID", help="env id")
    sweep.add_argument("--algo", default="ppo", metavar="NAME", help="ppo (default) or sac")
    sweep.add_argument("--seeds", type=seed, nargs="+", required=True, metavar="S", help="training seeds")
    sweep.add_argument("--timesteps", type=count, required=True, help="total env steps of each run")
    sweep.add_argument("--out", type=folder, required=True, metavar="SWEEP_DIR",
                       help="sweep folder (reruns continue it)")
    sweep.add_argument("--envs", type=int_range(1, 256), default=None, metavar="K",
                       help="parallel envs of each run (default: the hyperparameters')")
    sweep.add_argument("--hyperparams", default=None, metavar="FILE.yaml", help="base hyperparameter file")
    sweep.add_argument("--set", action="append", default=[], metavar="KEY=V1[,V2...]", dest="grid",
                       help="a hyperparameter (env_kwargs.NAME for an env setting) and its values; repeated --set "
                            "give a grid of every combination")
    sweep.add_argument("--workers", type=int_range(1, 1024), default=1, metavar="K",
                       help="runs at a time on a local Ray instance (default 1: one after another in this process)")
    sweep.add_argument("--address", default=None, metavar="ray://HOST:PORT|auto",
                       help="run on an existing Ray cluster (its nodes need quadgait installed)")
    sweep.set_defaults(func=cmd_sweep)

    ev = sub.add_parser("eval", help="roll a trained policy out and report like 'walk'")
    ev.add_argument("policy", metavar="RUN_DIR_OR_MODEL", help="run folder, model .zip or checkpoint")
    ev.add_argument("--seconds", type=finite(float, 0.1, 3600), default=20.0, help="episode length, s")
    ev.add_argument("--seed", type=seed, default=0, help="reset seed, in [0, 2**32 - 1]")
    ev.add_argument("--video", metavar="FILE.mp4", help="write a follow-camera video (.mp4 or .gif)")
    ev.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    ev.add_argument("--terrain", type=terrain, default=None, metavar="TYPE:LEVEL",
                    help="terrain to evaluate on (default: the one the policy was trained on)")
    ev.add_argument("--command", type=command, default=None, metavar="VX,VY,YAW_RATE",
                    help="have the env's task hold this command (m/s, m/s, rad/s); default: the task's own")
    ev.add_argument("--trust-pickle", action="store_true", help=TRUST_PICKLE_HELP)
    ev.set_defaults(func=cmd_eval)

    play = sub.add_parser("play", help="drive a controller from the keyboard (PyBullet window), or follow a course")
    play.add_argument("controller", metavar="NAME_OR_PATH", help="pretrained name, run folder, model or gait name")
    play.add_argument("--gui", action="store_true", help="open the window and drive live (the default without "
                      "--course; needs a display)")
    play.add_argument("--course", default=None, metavar="NAME", help="follow a scripted course headless "
                      "(e.g. figure-eight) and report the path error")
    play.add_argument("--video", metavar="FILE.mp4", help="with --course: write a follow-camera video")
    play.add_argument("--seconds", type=finite(float, 0.1, 3600), default=None,
                      help="with --course: episode length, s (default: the course's)")
    play.add_argument("--seed", type=seed, default=0, help="reset seed")
    play.add_argument("--json", action="store_true", help="with --course: print one JSON object")
    play.add_argument("--engine", default="pybullet", choices=ENGINES,
                      help="physics engine (default pybullet; mujoco: the twin, drawn in the PyBullet window "
                      "or video; docs/sim-to-sim.md)")
    play.add_argument("--trust-pickle", action="store_true", help=TRUST_PICKLE_HELP)
    play.set_defaults(func=cmd_play)

    export = sub.add_parser("export", help="write a run's deterministic policy as ONNX (normalisation folded in)")
    export.add_argument("policy", metavar="RUN_DIR", help="run folder, model .zip or checkpoint")
    export.add_argument("--onnx", required=True, metavar="FILE.onnx", help="output file")
    export.add_argument("--trust-pickle", action="store_true", help=TRUST_PICKLE_HELP)
    export.set_defaults(func=cmd_export)

    convert = sub.add_parser("convert", help="rewrite a run folder from an older quadgait in the current policy "
                                             "format (metadata and normaliser inside each model, no pickles)")
    convert.add_argument("run", type=folder, metavar="RUN_DIR", help="run folder with config.yaml")
    convert.add_argument("--trust-pickle", action="store_true",
                         help="read its vecnormalize.pkl files (pickles can run arbitrary code: trusted folders only)")
    convert.set_defaults(func=cmd_convert)
    return parser


def _error(args: argparse.Namespace, message: str) -> int:
    print(f"quadgait {args.subcommand}: error: {' '.join(message.split())}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _stack_dumps_on_sigusr1() -> None:
    """``kill -USR1 PID`` prints every thread's Python stack to stderr (for a run that seems stuck)."""
    import faulthandler
    import signal

    if hasattr(signal, "SIGUSR1") and sys.stderr is not None:
        try:
            faulthandler.register(signal.SIGUSR1, all_threads=True)
        except (ValueError, OSError, RuntimeError, AttributeError):  # no usable stderr fd (embedded, redirected)
            pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see :mod:`train.cli_types` and docs/reliability.md)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = None if argv is None else list(argv)
    _stack_dumps_on_sigusr1()
    try:
        return args.func(args)
    except BrokenPipeError:  # stdout closed early (`| head`): stop quietly, as a SIGPIPE'd program would
        try:
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print(f"\nquadgait {args.subcommand}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (CLIError, ValueError, RuntimeError) as exc:
        return _error(args, str(exc))
    except OSError as exc:
        if exc.strerror is None:
            return _error(args, str(exc) or type(exc).__name__)
        return _error(args, exc.strerror + (f": {str(exc.filename)!r}" if exc.filename else ""))
    except MemoryError:
        return _error(args, "out of memory (a hyperparameter or setting asks for more than this machine has)")


if __name__ == "__main__":
    sys.exit(main())
