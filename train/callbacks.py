"""stable-baselines3 callbacks used by :func:`train.training.train`: progress bar, checkpoints, periodic evaluation.

Checkpoints and evaluations run at the start of a rollout, i.e. right after a policy update, so a checkpoint holds the
freshest weights and no collected experience is thrown away by saving; their step counts are therefore the first
rollout boundary at or after each multiple of the frequency.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import gymnasium as gym
import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from train.atomic import write_text

EVAL_COLUMNS = ("step", "wall_clock_s", "mean_speed_mps", "fell", "distance_m", "tracking_error_xy_mps",
                "tracking_error_yaw_radps", "stood_still")
#: An evaluation episode "stood still" when its command asks for at least this much motion (m/s, or rad/s for the
#: yaw rate) and the tracking error of that part is at least half the command (a robot frozen in place scores an
#: error equal to the command): a low mean error from near-zero commands cannot hide a policy that will not move.
MOVING_COMMAND = 0.1


def stood_still(summary: dict) -> bool:
    """Whether an episode's summary shows the robot not following a command that asks it to move."""
    command, metrics = summary.get("command") or {}, summary["metrics"]
    speed = float(np.hypot(command.get("vx_mps", 0.0), command.get("vy_mps", 0.0)))
    yaw = abs(float(command.get("yaw_rate_radps", 0.0)))
    return bool((speed >= MOVING_COMMAND and metrics["tracking_error_xy_mps"] >= 0.5 * speed)
                or (yaw >= MOVING_COMMAND and metrics["tracking_error_yaw_radps"] >= 0.5 * yaw))


def process_age_s() -> float:
    """Seconds since this process started (Linux ``/proc``; 0 where that cannot be read)."""
    try:
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()  # after the command name: field 3 onwards
        with open("/proc/uptime") as f:
            uptime_s = float(f.read().split()[0])
        return max(0.0, uptime_s - int(fields[19]) / os.sysconf("SC_CLK_TCK"))  # field 22: start time, ticks
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0


class WallClock:
    """Seconds of training wall-clock time, carried over from earlier sessions of a resumed run. A fresh run's clock
    starts at the process's start (``offset_s=process_age_s()``), so its times include start-up."""

    def __init__(self, offset_s: float = 0.0) -> None:
        self.offset_s = float(offset_s)
        self.start = time.perf_counter()

    def elapsed_s(self) -> float:
        return self.offset_s + time.perf_counter() - self.start


class TqdmProgress(BaseCallback):
    """A tqdm progress bar over env steps on stderr (SB3's own bar also needs ``rich``)."""

    def __init__(self, enabled: bool = True) -> None:
        super().__init__()
        self.enabled = enabled
        self.bar = None

    def _on_training_start(self) -> None:
        from tqdm import tqdm

        total = self.locals["total_timesteps"]
        self.bar = tqdm(total=total, initial=self.model.num_timesteps, unit="step", desc="train",
                        disable=not self.enabled, file=sys.stderr, dynamic_ncols=True)

    def _on_step(self) -> bool:
        self.bar.update(self.training_env.num_envs)
        return True

    def set_postfix(self, text: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(text, refresh=False)

    def _on_training_end(self) -> None:
        self.bar.close()


class Periodic(BaseCallback):
    """Runs ``action(step)`` at the first rollout start at or after every ``freq`` env steps (0 = never)."""

    def __init__(self, freq: int, action: Callable[[int], None], at_end: bool = True) -> None:
        super().__init__()
        self.freq, self.action, self.at_end = int(freq), action, at_end
        self.next_step = 0
        self.last_step: int | None = None

    def _on_training_start(self) -> None:
        self.next_step = (self.model.num_timesteps // self.freq + 1) * self.freq if self.freq > 0 else 0

    def _on_rollout_start(self) -> None:
        if self.freq > 0 and self.num_timesteps >= self.next_step:
            self._run()
            self.next_step = (self.num_timesteps // self.freq + 1) * self.freq

    def _on_step(self) -> bool:
        return True

    def _on_training_end(self) -> None:
        if self.at_end and self.last_step != self.model.num_timesteps:
            self._run()

    def _run(self) -> None:
        self.last_step = self.model.num_timesteps
        self.action(self.model.num_timesteps)


class PolicyUnderTraining:
    """The model's deterministic policy as a :class:`~envs.gaits.controller.Controller`, observations normalised
    with the training normaliser's current statistics (read, never updated)."""

    name = "policy under training"

    def __init__(self, model, normalize: Callable[[np.ndarray], np.ndarray] | None) -> None:
        self.model, self.normalize = model, normalize

    def reset(self) -> None:
        pass

    def act(self, observation, state, time_s, command) -> np.ndarray:
        obs = self.normalize(observation) if self.normalize is not None else observation
        action, _ = self.model.predict(np.asarray(obs, dtype=np.float32), deterministic=True)
        return action


class Evaluator:
    """Rolls the current policy out in its own env and records the result in TensorBoard and ``eval.csv``.

    ``eval.csv`` columns: ``step`` (env steps trained), ``wall_clock_s`` (time since ``quadgait train`` started, s,
    start-up included, plus earlier sessions of a resumed run), ``mean_speed_mps`` (mean body-frame forward speed,
    m/s, averaged over episodes),
    ``fell`` (episodes that ended in a fall), ``distance_m`` (mean base displacement in the ground plane, m),
    ``tracking_error_xy_mps`` and ``tracking_error_yaw_radps`` (mean over episodes of the metrics of the same name,
    scored against the env's command), ``stood_still`` (episodes whose command asked for motion the robot did not
    make, :func:`stood_still`). Episode ``i`` of every evaluation resets with seed ``seed + i`` and
    ``options`` (e.g. a fixed command schedule), so successive rows compare like with like.
    """

    def __init__(self, env: gym.Env, csv_path: Path, seconds: float, episodes: int, seed: int, clock: WallClock,
                 rows: list[dict] | None = None, options: dict | None = None) -> None:
        self.env, self.csv_path, self.seconds, self.episodes, self.seed = env, csv_path, seconds, episodes, seed
        self.options = dict(options or {})
        self.clock = clock
        self.rows = list(rows or [])
        self.model = None
        self.vec_normalize = None
        self.progress: TqdmProgress | None = None

    def __call__(self, step: int) -> None:
        normalize = self.vec_normalize.normalize_obs if self.vec_normalize is not None else None
        self.record(step, self.measure(PolicyUnderTraining(self.model, normalize)), self.clock.elapsed_s())

    def measure(self, controller) -> dict:
        """Run the evaluation episodes with ``controller``; the measured columns of an ``eval.csv`` row.
        (:mod:`train.eval_worker` runs this in a separate process.)"""
        from envs.rollout import run_controller

        speeds, distances, falls, xy, yaw, still = [], [], 0, [], [], 0
        for episode in range(self.episodes):
            # The env's task chooses the command (seeded, or from the evaluation options).
            summary = run_controller(controller, env=self.env, seconds=self.seconds, seed=self.seed + episode,
                                     options=self.options).summary
            speeds.append(summary["mean_speed_mps"])
            distances.append(summary["distance_m"])
            falls += int(summary["fell"])
            xy.append(summary["metrics"]["tracking_error_xy_mps"])
            yaw.append(summary["metrics"]["tracking_error_yaw_radps"])
            still += int(stood_still(summary))
        return {"mean_speed_mps": float(np.mean(speeds)), "fell": falls, "distance_m": float(np.mean(distances)),
                "tracking_error_xy_mps": float(np.mean(xy)), "tracking_error_yaw_radps": float(np.mean(yaw)),
                "stood_still": still}

    def record(self, step: int, measured: dict, wall_clock_s: float) -> None:
        """Append the row of the evaluation at ``step`` (``wall_clock_s``: training time when it was asked for)."""
        row = {"step": int(step), "wall_clock_s": round(wall_clock_s, 3), **measured}
        falls = row["fell"]
        self.rows.append(row)
        write_eval_csv(self.csv_path, self.rows)
        logger = self.model.logger
        logger.record("eval/mean_speed_mps", row["mean_speed_mps"])
        logger.record("eval/distance_m", row["distance_m"])
        logger.record("eval/falls", falls)
        logger.record("eval/tracking_error_xy_mps", row["tracking_error_xy_mps"])
        logger.record("eval/tracking_error_yaw_radps", row["tracking_error_yaw_radps"])
        logger.record("eval/wall_clock_s", row["wall_clock_s"])
        logger.dump(step)
        if self.progress is not None:
            self.progress.set_postfix(f"eval {row['mean_speed_mps']:.2f} m/s, xy err {row['tracking_error_xy_mps']:.2f}"
                                      f"{' FELL' if falls else ''}")


def write_eval_csv(path: Path, rows: list[dict]) -> None:
    """Write all evaluation rows (atomically: a kill never leaves a half line)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=EVAL_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{row[k]:.6g}" if isinstance(row[k], float) else row[k]) for k in EVAL_COLUMNS})
    write_text(path, buf.getvalue())


def read_eval_csv(path: Path, up_to_step: int | None = None) -> list[dict]:
    """Rows of ``eval.csv`` (those at or before ``up_to_step`` when given); unreadable rows are skipped."""
    if not path.is_file():
        return []
    rows = []
    with open(path, newline="") as f:
        for raw in csv.DictReader(f):
            try:
                row = {"step": int(raw["step"]), "wall_clock_s": float(raw["wall_clock_s"]),
                       "mean_speed_mps": float(raw["mean_speed_mps"]), "fell": int(raw["fell"]),
                       "distance_m": float(raw["distance_m"]),
                       # eval.csv files written before these columns existed have none
                       "tracking_error_xy_mps": float(raw.get("tracking_error_xy_mps") or "nan"),
                       "tracking_error_yaw_radps": float(raw.get("tracking_error_yaw_radps") or "nan"),
                       "stood_still": int(raw.get("stood_still") or 0)}
            except (KeyError, TypeError, ValueError):
                continue
            if up_to_step is None or row["step"] <= up_to_step:
                rows.append(row)
    return rows
