"""Contact-phase analysis of quadruped rollouts (pure numpy).

Everything here works on raw contact arrays so that plotting code (Hildebrand
footfall diagrams) can use it without building a full :class:`envs.metrics.Rollout`.

Conventions
-----------
* ``foot_contacts`` is a ``(T, 4)`` boolean array, legs ordered FR, FL, RR, RL.
* ``time_s`` is a ``(T,)`` strictly increasing array of sample times in seconds.
* Phases and phase offsets are expressed in *cycles*, i.e. fractions of one
  stride in ``[0, 1)``; they are circular quantities (0.98 and 0.02 are 0.04 apart).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

FR, FL, RR, RL = 0, 1, 2, 3

GAIT_NAMES: tuple[str, ...] = (
    "walk", "trot", "pace", "bound", "gallop", "pronk", "irregular", "standing",
)

#: Maximum circular distance (cycles) between a measured and a template offset.
GAIT_TOLERANCE_CYCLES = 0.1
#: Minimum mean duty factor for a four-beat sequence to count as a walk.
WALK_MIN_DUTY_FACTOR = 0.6

# Template phase offsets (FR, FL, RR, RL) relative to FR, in cycles.
_TEMPLATES: dict[str, tuple[tuple[float, float, float, float], ...]] = {
    "pronk": ((0.0, 0.0, 0.0, 0.0),),
    "trot": ((0.0, 0.5, 0.5, 0.0),),
    "pace": ((0.0, 0.5, 0.0, 0.5),),
    "bound": ((0.0, 0.0, 0.5, 0.5),),
    # Lateral-sequence walk and its mirror image.
    "walk": ((0.0, 0.5, 0.25, 0.75), (0.0, 0.5, 0.75, 0.25)),
}

# A near-zero circular resultant means the phases cancel out (e.g. 0.0 and 0.5):
# there is no meaningful mean direction.
_MIN_RESULTANT_LENGTH = 1e-9


def _check_contacts(foot_contacts: np.ndarray, time_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    contacts = np.asarray(foot_contacts).astype(bool)
    times = np.asarray(time_s, dtype=float)
    if contacts.ndim != 2 or contacts.shape[1] != 4:
        raise ValueError(f"foot_contacts has shape {contacts.shape}, expected (T, 4)")
    if times.shape != (contacts.shape[0],):
        raise ValueError(f"time_s has shape {times.shape}, expected ({contacts.shape[0]},)")
    return contacts, times


def circular_distance_cycles(a: float | np.ndarray, b: float | np.ndarray) -> np.ndarray | float:
    """Shortest distance between phases ``a`` and ``b`` on the unit cycle, in ``[0, 0.5]``."""
    d = np.mod(np.asarray(a, dtype=float) - np.asarray(b, dtype=float), 1.0)
    out = np.minimum(d, 1.0 - d)
    return float(out) if out.ndim == 0 else out


def circular_mean_cycles(phases_cycles: Sequence[float] | np.ndarray) -> float:
    """Circular mean of phases given in cycles, result in ``[0, 1)``.

    Each phase is mapped to a unit vector at angle ``2*pi*phase``; the mean direction of
    those vectors is returned, so 0.98 and 0.02 average to 0.0 (not 0.5).
    Returns NaN for an empty input or when the vectors cancel (e.g. ``[0.0, 0.5]``).
    """
    phases = np.asarray(phases_cycles, dtype=float).ravel()
    if phases.size == 0:
        return math.nan
    angles = 2.0 * np.pi * phases
    resultant = complex(np.cos(angles).sum(), np.sin(angles).sum()) / phases.size
    if abs(resultant) < _MIN_RESULTANT_LENGTH:
        return math.nan
    mean = (math.atan2(resultant.imag, resultant.real) / (2.0 * math.pi)) % 1.0
    # atan2 round-off can leave e.g. -1e-17 -> 0.99999999999999999; snap onto 0.
    return 0.0 if mean > 1.0 - 1e-12 else mean


def touchdown_times(foot_contacts: np.ndarray, time_s: np.ndarray) -> list[np.ndarray]:
    """Times (s) of touch-down events per foot.

    A touch-down is a rising edge of contact: sample ``k >= 1`` in contact with sample
    ``k - 1`` not in contact; its time is ``time_s[k]``. A foot already in contact at the
    first sample has no observed touch-down there.

    Returns a list of 4 float arrays (FR, FL, RR, RL), possibly empty.
    """
    contacts, times = _check_contacts(foot_contacts, time_s)
    rising = contacts[1:] & ~contacts[:-1]
    return [times[1:][rising[:, leg]] for leg in range(4)]


def footfall_segments(
    foot_contacts: np.ndarray, time_s: np.ndarray, dt_s: float | None = None
) -> list[list[tuple[float, float]]]:
    """Contact (stance) intervals per foot, for Hildebrand footfall diagrams.

    Each sample is taken to represent the interval ``[time_s[k], time_s[k] + dt_s)``, so a
    run of contact samples ``k0..k1`` gives the segment ``(time_s[k0], time_s[k1] + dt_s)``;
    with uniform sampling the end equals the time of the first non-contact sample.
    ``dt_s`` defaults to the median sample spacing (0 if there is only one sample).

    Returns a list of 4 lists (FR, FL, RR, RL) of ``(start_s, end_s)`` tuples.
    """
    contacts, times = _check_contacts(foot_contacts, time_s)
    if dt_s is None:
        dt_s = float(np.median(np.diff(times))) if times.size >= 2 else 0.0
    segments: list[list[tuple[float, float]]] = []
    for leg in range(4):
        starts, ends = _runs(contacts[:, leg])
        segments.append([(float(times[s]), float(times[e - 1] + dt_s)) for s, e in zip(starts, ends, strict=True)])
    return segments


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start indices and exclusive end indices of the runs of True in a 1-D bool array."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.diff(padded)
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def debounce_contacts(foot_contacts: np.ndarray, time_s: np.ndarray, min_duration_s: float) -> np.ndarray:
    """Contacts with flicker removed, shape ``(T, 4)`` bool (a new array).

    A foot bouncing on landing produces sub-stride contact blips that would count as extra touch-downs. Gaps
    (no contact) shorter than ``min_duration_s`` between two contacts are filled first, then contact runs shorter
    than ``min_duration_s`` are dropped. Durations are sample counts times the median sample period.
    """
    contacts, times = _check_contacts(foot_contacts, time_s)
    out = contacts.copy()
    if contacts.shape[0] < 2 or min_duration_s <= 0:
        return out
    dt = float(np.median(np.diff(times)))
    min_samples = min_duration_s / dt - 1e-9
    for leg in range(out.shape[1]):
        column = out[:, leg]
        starts, ends = _runs(~column)
        for s, e in zip(starts, ends, strict=True):
            if s > 0 and e < column.size and (e - s) < min_samples:
                column[s:e] = True
        starts, ends = _runs(column)
        for s, e in zip(starts, ends, strict=True):
            if (e - s) < min_samples:
                column[s:e] = False
    return out


def duty_factors(foot_contacts: np.ndarray) -> np.ndarray:
    """Fraction of samples each foot is in contact, shape ``(4,)``, dimensionless in [0, 1].

    NaN for every foot if there are no samples.
    """
    contacts = np.asarray(foot_contacts).astype(bool)
    if contacts.shape[0] == 0:
        return np.full(4, np.nan)
    return contacts.mean(axis=0)


def aerial_fraction(foot_contacts: np.ndarray) -> float:
    """Share of samples in which no foot touches the ground (the body is airborne), dimensionless in [0, 1].

    ``mean_t [no foot in contact at t]``. Pass debounced contacts (:func:`debounce_contacts`) so that a landing
    bounce does not count as flight. NaN if there are no samples.
    """
    contacts = np.asarray(foot_contacts).astype(bool)
    if contacts.ndim != 2 or contacts.shape[1] != 4:
        raise ValueError(f"foot_contacts has shape {contacts.shape}, expected (T, 4)")
    if contacts.shape[0] == 0:
        return math.nan
    return float(np.mean(~contacts.any(axis=1)))


def stride_period_s(foot_contacts: np.ndarray, time_s: np.ndarray) -> float:
    """Stride period in seconds.

    For every foot with at least two touch-downs, take the median interval between its
    consecutive touch-downs (robust to an occasional missed or extra step); the stride
    period is the mean of these per-foot medians. NaN if no foot has two touch-downs.
    """
    per_foot = [float(np.median(np.diff(td))) for td in touchdown_times(foot_contacts, time_s) if td.size >= 2]
    return float(np.mean(per_foot)) if per_foot else math.nan


def stride_frequency_hz(foot_contacts: np.ndarray, time_s: np.ndarray) -> float:
    """Stride frequency in Hz, ``1 / stride_period_s``; NaN if the period is not measurable."""
    period = stride_period_s(foot_contacts, time_s)
    return 1.0 / period if math.isfinite(period) and period > 0.0 else math.nan


def phase_offsets(
    foot_contacts: np.ndarray, time_s: np.ndarray, stride_period: float | None = None
) -> np.ndarray:
    """Touch-down phase offset of each foot relative to FR, in cycles, shape ``(4,)``.

    For each touch-down of foot ``i`` at time ``t``, take the latest FR touch-down at or
    before ``t`` (``t_FR``) and compute ``((t - t_FR) / stride_period) mod 1``. The foot's
    offset is the circular mean of those values (see :func:`circular_mean_cycles`).
    Touch-downs that occur before the first FR touch-down are skipped.

    ``stride_period`` (s) defaults to :func:`stride_period_s`. If it is not measurable or
    FR has no touch-down, all four entries are NaN; otherwise FR is 0.0 and a foot with no
    usable touch-down (or whose phases cancel out) is NaN.
    """
    contacts, times = _check_contacts(foot_contacts, time_s)
    period = stride_period_s(contacts, times) if stride_period is None else float(stride_period)
    touchdowns = touchdown_times(contacts, times)
    offsets = np.full(4, np.nan)
    fr_touchdowns = touchdowns[FR]
    if not (math.isfinite(period) and period > 0.0) or fr_touchdowns.size == 0:
        return offsets
    offsets[FR] = 0.0
    for leg in (FL, RR, RL):
        td = touchdowns[leg]
        # side="right" so that a touch-down simultaneous with FR's pairs with it (offset 0).
        previous_fr = np.searchsorted(fr_touchdowns, td, side="right") - 1
        usable = previous_fr >= 0
        if not usable.any():
            continue
        lag_cycles = ((td[usable] - fr_touchdowns[previous_fr[usable]]) / period) % 1.0
        offsets[leg] = circular_mean_cycles(lag_cycles)
    return offsets


def _matches(offsets: np.ndarray, template: Sequence[float], tolerance: float) -> bool:
    return bool(np.all(circular_distance_cycles(offsets, np.asarray(template)) <= tolerance))


def classify_offsets(
    offsets_cycles: Sequence[float] | np.ndarray,
    mean_duty_factor: float,
    tolerance_cycles: float = GAIT_TOLERANCE_CYCLES,
) -> str:
    """Classify a gait from phase offsets (FR, FL, RR, RL; cycles, relative to FR).

    Rule, checked in this order; every template entry must lie within
    ``tolerance_cycles`` (circular distance) of the measured offset:

    * ``irregular`` if any offset is NaN.
    * ``pronk``: (0, 0, 0, 0).
    * ``trot``: (0, 0.5, 0.5, 0).
    * ``pace``: (0, 0.5, 0, 0.5).
    * ``bound``: (0, 0, 0.5, 0.5).
    * ``walk``: (0, 0.5, 0.25, 0.75) or its mirror (0, 0.5, 0.75, 0.25), and
      ``mean_duty_factor >= 0.6``.
    * ``gallop``: front-pair split ``d_front = dist(FL, FR)`` and rear-pair split
      ``d_rear = dist(RL, RR)`` both strictly inside (0.05, 0.45) cycles (either lead
      foot, so transverse and rotary gallops both count), and the rear pair's circular-mean
      phase lags the front pair's circular-mean phase by ``(rear - front) mod 1`` in
      [0.3, 0.7] cycles.
    * otherwise ``irregular``.
    """
    offsets = np.asarray(offsets_cycles, dtype=float)
    if offsets.shape != (4,):
        raise ValueError(f"offsets_cycles has shape {offsets.shape}, expected (4,)")
    if not np.all(np.isfinite(offsets)):
        return "irregular"
    for gait in ("pronk", "trot", "pace", "bound", "walk"):
        if any(_matches(offsets, t, tolerance_cycles) for t in _TEMPLATES[gait]):
            if gait == "walk" and not mean_duty_factor >= WALK_MIN_DUTY_FACTOR:
                continue
            return gait
    front_split = circular_distance_cycles(offsets[FL], offsets[FR])
    rear_split = circular_distance_cycles(offsets[RL], offsets[RR])
    if 0.05 < front_split < 0.45 and 0.05 < rear_split < 0.45:
        # Pair splits are < 0.45, so each pair's circular mean is well defined.
        front_phase = circular_mean_cycles(offsets[[FR, FL]])
        rear_phase = circular_mean_cycles(offsets[[RR, RL]])
        rear_lag = (rear_phase - front_phase) % 1.0
        if 0.3 <= rear_lag <= 0.7:
            return "gallop"
    return "irregular"


def classify_gait(foot_contacts: np.ndarray, time_s: np.ndarray) -> str:
    """Classify the gait of a contact sequence; one of :data:`GAIT_NAMES`.

    * ``standing`` if no foot has two or more touch-downs and every foot is in contact
      for more than half of the samples.
    * ``irregular`` if no foot has two touch-downs otherwise (e.g. airborne or fallen),
      or if the offsets are not measurable.
    * otherwise :func:`classify_offsets` on :func:`phase_offsets` and the mean duty factor.
    """
    contacts, times = _check_contacts(foot_contacts, time_s)
    if contacts.shape[0] == 0:
        return "irregular"
    touchdowns = touchdown_times(contacts, times)
    if not any(td.size >= 2 for td in touchdowns):
        return "standing" if bool(np.all(duty_factors(contacts) > 0.5)) else "irregular"
    offsets = phase_offsets(contacts, times)
    return classify_offsets(offsets, float(np.mean(duty_factors(contacts))))
