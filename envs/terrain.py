"""Terrain: seeded heightfields for rough ground, slopes and stairs (pure numpy; the simulation loads them).

A terrain is named ``TYPE:LEVEL`` (e.g. ``"rough:1"``, ``"slope:3"``, ``"stairs:2"``; ``"flat"`` = ``"flat:0"``).
Levels 0..9 map to physical sizes:

========  ==========================================================================================
type      level ``L`` means
========  ==========================================================================================
flat      a plane (no levels: ``"flat"`` or ``"flat:0"``)
rough     uniform random heights, peak-to-peak ``0.01·(L + 1)`` m, on a 0.1 m grid (level 1: 2 cm)
slope     ramps of ``2.5·(L + 1)`` degrees, up 4 m, a 1 m plateau, down 4 m, repeating (level 1: 5 deg)
stairs    steps ``0.02·(L + 1)`` m high and 0.30 m deep, 8 up, a 1 m landing, 8 down, repeating
========  ==========================================================================================

The course runs along +x from x = -2 m to x = 38 m and is 8 m wide; the first 3 m (x < 1 m) are flat at height 0,
so the robot always starts on level ground. Heights are in m, the grid is ``CELL_M`` = 0.05 m.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TERRAIN_TYPES = ("flat", "rough", "slope", "stairs")
MAX_LEVEL = 9
CELL_M = 0.05
X_RANGE_M = (-2.0, 38.0)
Y_HALF_WIDTH_M = 4.0
FLAT_START_M = 1.0


@dataclass(frozen=True)
class TerrainSpec:
    kind: str = "flat"
    level: int = 0

    def __post_init__(self) -> None:
        if self.kind not in TERRAIN_TYPES:
            raise ValueError(f"unknown terrain type {self.kind!r}; valid types: {', '.join(TERRAIN_TYPES)}")
        if isinstance(self.level, bool) or not isinstance(self.level, (int, np.integer)) \
                or not 0 <= self.level <= MAX_LEVEL:
            raise ValueError(f"terrain level must be an integer in [0, {MAX_LEVEL}], got {self.level!r}")
        if self.kind == "flat" and self.level != 0:
            raise ValueError(f"terrain 'flat' has no levels, got level {self.level!r}; valid: flat, or rough:L, "
                             f"slope:L, stairs:L with L in 0..{MAX_LEVEL}")

    @classmethod
    def parse(cls, text: str) -> TerrainSpec:
        """``"TYPE"`` or ``"TYPE:LEVEL"`` → spec; ``ValueError`` naming what is wrong and what is valid."""
        if not isinstance(text, str):
            raise ValueError(f"terrain must be a string like 'rough:1', got {text!r}")
        kind, _, level = text.strip().partition(":")
        if not level:
            return cls(kind, 0)
        try:
            value = int(level)
        except ValueError:
            raise ValueError(f"terrain level in {text!r} must be an integer in [0, {MAX_LEVEL}]") from None
        return cls(kind, value)

    @property
    def name(self) -> str:
        return "flat" if self.kind == "flat" else f"{self.kind}:{self.level}"

    # Physical sizes of the level (documented in the module table).
    @property
    def rough_amplitude_m(self) -> float:
        return 0.01 * (self.level + 1)

    @property
    def slope_deg(self) -> float:
        return 2.5 * (self.level + 1)

    @property
    def step_height_m(self) -> float:
        return 0.02 * (self.level + 1)

    STEP_DEPTH_M = 0.30


def grid_axes() -> tuple[np.ndarray, np.ndarray]:
    """x (rows) and y (columns) coordinates of the height samples, m."""
    xs = np.arange(X_RANGE_M[0], X_RANGE_M[1] + 1e-9, CELL_M)
    ys = np.arange(-Y_HALF_WIDTH_M, Y_HALF_WIDTH_M + 1e-9, CELL_M)
    return xs, ys


def heightfield(spec: TerrainSpec, seed: int = 0) -> np.ndarray:
    """Heights (m), shape (len(xs), len(ys)) on :func:`grid_axes`; deterministic for (spec, seed)."""
    xs, ys = grid_axes()
    heights: np.ndarray = np.zeros((xs.size, ys.size))
    course = np.clip(xs - FLAT_START_M, 0.0, None)  # distance into the course, m
    on_course = xs >= FLAT_START_M
    if spec.kind == "rough":
        rng = np.random.default_rng(seed)
        coarse = 0.1  # m: one random height per 10 cm, so feet (3 cm spheres) meet bumps, not needles
        step = int(round(coarse / CELL_M))
        n_x, n_y = -(-xs.size // step), -(-ys.size // step)
        bumps = rng.uniform(0.0, spec.rough_amplitude_m, (n_x, n_y))
        heights = np.kron(bumps, np.ones((step, step)))[: xs.size, : ys.size]
        heights[~on_course] = 0.0
    elif spec.kind == "slope":
        rise = np.tan(np.radians(spec.slope_deg))
        period = 9.0  # 4 m up, 1 m plateau, 4 m down
        s = course % period
        profile = np.where(s < 4.0, s * rise, np.where(s < 5.0, 4.0 * rise, (9.0 - s) * rise))
        heights = np.repeat(profile[:, None], ys.size, axis=1)
    elif spec.kind == "stairs":
        n_steps, landing = 8, 1.0
        run = n_steps * spec.STEP_DEPTH_M
        period = 2 * run + landing
        s = course % period
        up = np.floor(s / spec.STEP_DEPTH_M) + 1
        down = n_steps - np.floor((s - run - landing) / spec.STEP_DEPTH_M)
        steps = np.where(s < run, up, np.where(s < run + landing, n_steps, np.clip(down, 0, n_steps)))
        steps = np.where(on_course, steps, 0)
        heights = np.repeat((steps * spec.step_height_m)[:, None], ys.size, axis=1)
    return heights


def height_at(heights: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Terrain height (m) at world (x, y) by nearest grid sample; 0 outside the grid."""
    xs, ys = grid_axes()
    i = np.rint((np.asarray(x) - xs[0]) / CELL_M).astype(int)
    j = np.rint((np.asarray(y) - ys[0]) / CELL_M).astype(int)
    inside = (i >= 0) & (i < xs.size) & (j >= 0) & (j < ys.size)
    return np.where(inside, heights[np.clip(i, 0, xs.size - 1), np.clip(j, 0, ys.size - 1)], 0.0)


def stair_boxes(xs: np.ndarray, ys: np.ndarray, profile: np.ndarray) -> tuple[list[list[float]], list[list[float]]]:
    """Boxes (half extents, centre positions; m) that build a stairs profile: a 0.1 m thick floor slab, plus one box
    per run of equal height along x (``profile``: heights at ``xs``, constant across ``ys``)."""
    half_width = (ys[-1] - ys[0]) / 2
    extents = [[60.0, 60.0, 0.05]]
    positions = [[(xs[0] + xs[-1]) / 2, 0.0, -0.05]]
    edges = np.flatnonzero(np.diff(profile) != 0) + 1
    for start, stop in zip(np.r_[0, edges], np.r_[edges, profile.size], strict=True):
        height = float(profile[start])
        if height <= 0:
            continue
        x0, x1 = xs[start] - CELL_M / 2, xs[stop - 1] + CELL_M / 2
        extents.append([(x1 - x0) / 2, half_width, height / 2])
        positions.append([(x0 + x1) / 2, 0.0, height / 2])
    return extents, positions
