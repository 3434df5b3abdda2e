"""``quadgait play``: drive a controller live from the keyboard in the PyBullet window, or follow a course headless.
``--engine mujoco`` runs the MuJoCo twin; the window (or video) then draws the twin's state with PyBullet's renderer.

Keys (PyBullet window focused; each press changes the command by one step, within the controller's training
range): up/W faster forward, down/S slower or backward, left/A turn left, right/D turn right, Q/E step sideways left
and right, space stop. The window shows the command and the measured speed.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from typing import Any

import numpy as np

#: Command change per key press: (vx m/s, vy m/s, yaw rate rad/s); "stop" zeroes the command.
KEY_STEPS: dict[str, tuple[float, float, float]] = {
    "up": (0.1, 0.0, 0.0), "w": (0.1, 0.0, 0.0),
    "down": (-0.1, 0.0, 0.0), "s": (-0.1, 0.0, 0.0),
    "left": (0.0, 0.0, 0.2), "a": (0.0, 0.0, 0.2),
    "right": (0.0, 0.0, -0.2), "d": (0.0, 0.0, -0.2),
    "q": (0.0, 0.1, 0.0), "e": (0.0, -0.1, 0.0),
}
STOP_KEYS = ("space",)
#: PyBullet key codes of the named keys (B3G_*_ARROW, ASCII for letters and space).
PYBULLET_KEYS = {65297: "up", 65298: "down", 65295: "left", 65296: "right", ord(" "): "space",
                 **{ord(c): c for c in "wasdqe"}}


def next_command(command: np.ndarray, key: str, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The command after pressing ``key`` (a name of :data:`KEY_STEPS` or ``"space"``), clipped to [low, high].

    Unknown keys leave the command unchanged. Values are rounded to 2 decimals, so repeated presses land on the
    same grid (0.1 m/s, 0.2 rad/s steps).
    """
    command = np.asarray(command, dtype=float)
    if key in STOP_KEYS:
        return np.zeros(3)
    if key not in KEY_STEPS:
        return command.copy()
    return np.round(np.clip(command + np.array(KEY_STEPS[key]), low, high), 2)


def pressed_keys(events: dict[int, int]) -> list[str]:
    """Names of the keys PyBullet reports as just pressed (``KEY_WAS_TRIGGERED``)."""
    triggered = 2  # pybullet.KEY_WAS_TRIGGERED
    return [PYBULLET_KEYS[code] for code, state in sorted(events.items())
            if state & triggered and code in PYBULLET_KEYS]


def courses() -> dict[str, Any]:
    """Benchmark scenarios that are courses (a command schedule), by name."""
    from train.bench.scenarios import SCENARIOS

    return {name: s for name, s in SCENARIOS.items() if s.schedule is not None}


def cmd_play(args: argparse.Namespace) -> int:
    import envs  # noqa: F401
    from envs.controllers import resolve_controller
    from train.cli_types import CLIError

    if args.course is not None and args.gui:
        raise CLIError("--gui and --course cannot be combined: a --course runs headless (add --video to film it), "
                       "--gui drives live from the keyboard")
    spec = resolve_controller(args.controller, trust_pickle=args.trust_pickle)
    if args.course is not None:
        return _play_course(args, spec)
    if args.video:
        raise CLIError("--video records a --course (the keyboard drives only the live window)")
    from envs.viewer import display_available

    if not display_available():
        raise CLIError("playing live needs a display (DISPLAY is not set); run headless with "
                       f"--course {next(iter(courses()))} --video out.mp4, or under xvfb-run")
    return _play_live(args, spec)


def _play_course(args: argparse.Namespace, spec) -> int:
    from envs.rollout import run_controller
    from train.atomic import dumps
    from train.cli_types import EXIT_FAILED, EXIT_OK, CLIError
    from train.video import VideoWriter

    available = courses()
    if args.course not in available:
        raise CLIError(f"unknown course {args.course!r}; valid: {', '.join(available)}")
    scenario = available[args.course]
    if not all(spec.in_range(c) for c in scenario.commands()):
        raise CLIError(f"the course {args.course!r} commands {scenario.commands()}, outside {spec.name}'s training "
                       f"range ({spec.describe_range()})")
    seconds = args.seconds or scenario.seconds
    writer = VideoWriter(args.video) if args.video else None  # checks the path before any work
    with writer or contextlib.nullcontext():
        episode = run_controller(spec, seconds=seconds, seed=args.seed, settings={"engine": args.engine},
                                 render_mode="rgb_array" if args.video else None, on_step=writer,
                                 options=scenario.reset_options())
        summary = {**episode.summary, "course": args.course}
        if writer is not None:
            summary["video"] = str(writer.finish())
    m = summary["metrics"]
    if args.json:
        print(dumps(summary, indent=None))
    else:
        print(f"{spec.name} on {args.course}: {summary['duration_s']:.1f} s, path error {m['path_error_m']:.2f} m, "
              f"tracking error {m['tracking_error_xy_mps']:.3f} m/s and {m['tracking_error_yaw_radps']:.3f} rad/s, "
              f"fell: {'yes' if summary['fell'] else 'no'}" + (f"; video: {summary['video']}" if writer else ""))
    return EXIT_FAILED if summary["fell"] else EXIT_OK


#: The live window's pacing. Physics follows the wall clock; the window is drawn at most every FRAME_PERIOD_S, its
#: keyboard read every KEYS_PERIOD_S and its text rewritten every TEXT_PERIOD_S, because each GUI call waits for the
#: window's own frame: under Xvfb on 2 busy cores a text update cost 180 ms and a keyboard read 26 ms, against
#: 3.3 ms for a control step. Drawing every step (render_mode="human") ran at 0.05x real time there.
FRAME_PERIOD_S = 1.0 / 25.0
KEYS_PERIOD_S = 1.0 / 20.0
TEXT_PERIOD_S = 0.5
#: Behind the wall clock by more than this, the clock is reset rather than caught up (the shown real-time factor
#: then says the machine cannot keep up). A slow window update can take a few hundred ms; the steps due meanwhile
#: are caught up at once (a control step costs a few ms).
MAX_LAG_S = 1.0
#: The real-time factor shown is measured over about this many wall-clock seconds.
RTF_WINDOW_S = 3.0


class RealTimePacer:
    """Which control steps are due on the wall clock, and the real-time factor achieved (simulated s per wall s
    over about the last :data:`RTF_WINDOW_S`).

    ``now_s`` values are ``time.perf_counter()`` readings (any monotonic clock in s). The factor is measured between
    :meth:`caught_up` marks, taken when no step is due, so a burst of steps catching up after a slow window update
    is not counted as running faster than real time.
    """

    def __init__(self, control_dt_s: float, now_s: float) -> None:
        self.control_dt_s = control_dt_s
        self._origin_s = now_s
        self._steps = 0  # steps taken since the origin
        self._sim_s = 0.0
        self._marks: list[tuple[float, float]] = [(now_s, 0.0)]  # (wall s, simulated s) when caught up

    def due(self, now_s: float) -> bool:
        """Whether the next control step is due (its simulated time has been reached on the wall clock)."""
        if now_s - self._origin_s - self._steps * self.control_dt_s > MAX_LAG_S:  # too far behind: drop the lag
            self._origin_s = now_s - self._steps * self.control_dt_s
        return (self._steps + 1) * self.control_dt_s <= now_s - self._origin_s + 1e-9

    def stepped(self) -> None:
        """One control step was taken."""
        self._steps += 1
        self._sim_s += self.control_dt_s

    def caught_up(self, now_s: float) -> None:
        """No step is due at ``now_s``: a point to measure the real-time factor from."""
        self._marks.append((now_s, self._sim_s))
        while len(self._marks) > 2 and now_s - self._marks[1][0] >= RTF_WINDOW_S:
            self._marks.pop(0)

    def next_step_s(self) -> float:
        """The wall-clock time the next control step is due."""
        return self._origin_s + (self._steps + 1) * self.control_dt_s

    def real_time_factor(self) -> float:
        """Simulated seconds per wall-clock second between the oldest and newest marks (0 before two marks)."""
        (wall0, sim0), (wall1, sim1) = self._marks[0], self._marks[-1]
        return (sim1 - sim0) / (wall1 - wall0) if wall1 > wall0 else 0.0


def _play_live(args: argparse.Namespace, spec) -> int:
    import gymnasium as gym

    from envs.env import quadruped_env
    from envs.registry import command_range
    from envs.viewer import WindowClosed

    # physics only: the window is ours, drawn at its own pace
    env = gym.make(spec.env_id, max_episode_steps=10**9, **{**spec.env_kwargs, "engine": args.engine})
    viewer = None
    try:
        base = quadruped_env(env)
        low, high = spec.command_range if spec.command_range is not None else command_range(spec.env_id)
        if np.array_equal(low, high):
            raise ValueError(f"{spec.name} runs in {spec.env_id}, whose task holds one command "
                             f"({spec.describe_range()}) and takes no steering commands")
        controller = spec.make(env)
        obs, _ = env.reset(seed=args.seed, options={"command": (0.0, 0.0, 0.0)})
        controller.reset()
        viewer = base.open_viewer()
        command = np.zeros(3)
        speed = np.zeros(3)
        print("quadgait play: arrows/WASD change the command, Q/E step sideways, space stops; close the window "
              "or press Ctrl-C to quit")
        now = time.perf_counter()
        pacer = RealTimePacer(base.control_dt_s, now)
        next_keys = next_frame = next_text = now
        frames, frames_since = 0, now
        fps = 0.0
        while viewer.is_open():
            now = time.perf_counter()
            if now >= next_keys:
                for key in pressed_keys(viewer.keyboard_events()):
                    command = next_command(command, key, low, high)
                    base.set_command(command)
                next_keys = now + KEYS_PERIOD_S
            # Every control step that is due, then at most one frame: frames are dropped before physics slows.
            ended = False
            while not ended and pacer.due(now):
                state = base.robot_state
                obs, _, terminated, truncated, _ = env.step(controller.act(obs, state, state.time_s, base.command))
                state = base.robot_state
                speed = 0.9 * speed + 0.1 * np.r_[state.base_lin_vel_body[:2], state.base_ang_vel_body[2]]
                now = time.perf_counter()
                pacer.stepped()
                ended = terminated or truncated
            if not ended:
                pacer.caught_up(now)
            if now >= next_frame or ended:
                viewer.show(base.sim, base.robot_state)
                frames += 1
                next_frame = now + FRAME_PERIOD_S
            if now >= next_text:
                fps, frames, frames_since = frames / max(now - frames_since, 1e-9), 0, now
                viewer.show_text([f"command  vx {command[0]:+.1f} m/s  vy {command[1]:+.1f} m/s  "
                                  f"yaw {command[2]:+.1f} rad/s",
                                  f"measured vx {speed[0]:+.2f} m/s  vy {speed[1]:+.2f} m/s  "
                                  f"yaw {speed[2]:+.2f} rad/s",
                                  f"real time x{pacer.real_time_factor():.2f}  ({fps:.0f} frames/s)"],
                                 base.robot_state.base_position_world)
                next_text = time.perf_counter() + TEXT_PERIOD_S
            if ended:
                time.sleep(1.0)
                obs, _ = env.reset(options={"command": tuple(command)})
                controller.reset()
                pacer = RealTimePacer(base.control_dt_s, time.perf_counter())
                continue
            wait = min(pacer.next_step_s(), next_frame, next_keys) - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
    except (KeyboardInterrupt, WindowClosed):
        pass
    finally:
        if viewer is not None:
            viewer.close()
        env.close()
    return 0
