"""urdf/laikago_fast.urdf and envs.robots.urdf_files: the fast URDF must be the stock Laikago with primitive
collisions."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import numpy as np
import pybullet as p
import pytest

from envs.robots import urdf_files
from envs.robots.urdf_files import PROJECT_URDF_DIR, resolve_urdf, stock_laikago_urdf

FAST_URDF = PROJECT_URDF_DIR / "laikago_fast.urdf"
NUM_JOINTS = 16  # 12 revolute (continuous) + 4 fixed toes
NUM_LINKS_WITH_MESH_VISUALS = 13  # chassis + 4 x (hip motor, upper leg, lower leg); toes have radius-0 spheres
# Without this flag PyBullet recomputes each link's inertia from its collision shapes, so the fast URDF's
# primitives would change the dynamics; with it both URDFs use the <inertial> values written in the file.
LOAD_FLAGS = p.URDF_USE_INERTIA_FROM_FILE


@pytest.fixture(scope="module")
def client():
    cid = p.connect(p.DIRECT)
    yield cid
    p.disconnect(cid)


@pytest.fixture(scope="module")
def bodies(client):
    fast = p.loadURDF(resolve_urdf(FAST_URDF), [0, 0, 1], flags=LOAD_FLAGS, physicsClientId=client)
    stock = p.loadURDF(stock_laikago_urdf(), [2, 0, 1], flags=LOAD_FLAGS, physicsClientId=client)
    return fast, stock


def _links(body: int, client: int) -> range:
    return range(-1, p.getNumJoints(body, physicsClientId=client))


# ---------------------------------------------------------------- (a) same kinematics and dynamics as the stock URDF


def test_fast_urdf_loads_with_16_joints(client, bodies):
    fast, stock = bodies
    assert p.getNumJoints(fast, physicsClientId=client) == NUM_JOINTS
    assert p.getNumJoints(stock, physicsClientId=client) == NUM_JOINTS
    base_name, robot_name = p.getBodyInfo(fast, physicsClientId=client)
    assert base_name == b"chassis"
    assert robot_name == b"laikago_fast"


def test_joints_match_stock(client, bodies):
    fast, stock = bodies
    n_revolute = 0
    for j in range(NUM_JOINTS):
        a = p.getJointInfo(fast, j, physicsClientId=client)
        b = p.getJointInfo(stock, j, physicsClientId=client)
        assert a[1] == b[1], "joint name"
        assert a[2] == b[2], f"{a[1]}: joint type"
        assert a[12] == b[12], f"{a[1]}: child link name"
        assert a[16] == b[16], f"{a[1]}: parent index"
        np.testing.assert_allclose(a[6:12], b[6:12], atol=1e-9, err_msg=f"{a[1]}: damping/friction/limits")
        np.testing.assert_allclose(a[13], b[13], atol=1e-9, err_msg=f"{a[1]}: axis")
        np.testing.assert_allclose(a[14], b[14], atol=1e-9, err_msg=f"{a[1]}: parent frame pos")
        np.testing.assert_allclose(a[15], b[15], atol=1e-9, err_msg=f"{a[1]}: parent frame orn")
        n_revolute += a[2] == p.JOINT_REVOLUTE
    assert n_revolute == 12


def test_dynamics_match_stock(client, bodies):
    fast, stock = bodies
    for link in _links(fast, client):
        a = p.getDynamicsInfo(fast, link, physicsClientId=client)
        b = p.getDynamicsInfo(stock, link, physicsClientId=client)
        assert a[0] == pytest.approx(b[0], abs=1e-9), f"link {link}: mass"
        np.testing.assert_allclose(a[2], b[2], atol=1e-9, err_msg=f"link {link}: local inertia diagonal")
        np.testing.assert_allclose(a[3], b[3], atol=1e-9, err_msg=f"link {link}: inertial pos")
        np.testing.assert_allclose(a[4], b[4], atol=1e-9, err_msg=f"link {link}: inertial orn")
        # friction, restitution, rolling/spinning friction, contact damping/stiffness
        np.testing.assert_allclose(a[1:2] + a[5:10], b[1:2] + b[5:10], atol=1e-9, err_msg=f"link {link}: contact")
    np.testing.assert_allclose(p.getDynamicsInfo(fast, -1, physicsClientId=client)[2], [0.22, 0.431, 0.565])
    total = sum(p.getDynamicsInfo(fast, link, physicsClientId=client)[0] for link in _links(fast, client))
    assert total == pytest.approx(13.715 + 4 * (1.095 + 1.527 + 0.241 + 0.1))


# ---------------------------------------------------------------- (b) primitive collisions


def test_every_collision_shape_is_a_primitive(client, bodies):
    fast, stock = bodies
    primitives = {p.GEOM_SPHERE, p.GEOM_BOX, p.GEOM_CAPSULE, p.GEOM_CYLINDER}
    for link in _links(fast, client):
        shapes = p.getCollisionShapeData(fast, link, physicsClientId=client)
        assert shapes, f"link {link} has no collision shape"
        for shape in shapes:
            assert shape[2] != p.GEOM_MESH, f"link {link}: mesh collision shape"
            assert shape[2] in primitives, f"link {link}: geometry type {shape[2]}"
    # the stock URDF really is mesh-based (the point of the fast variant)
    assert p.getCollisionShapeData(stock, -1, physicsClientId=client)[0][2] == p.GEOM_MESH


def test_toe_spheres_unchanged(client, bodies):
    fast, stock = bodies
    for j in range(NUM_JOINTS):
        if p.getJointInfo(fast, j, physicsClientId=client)[2] != p.JOINT_FIXED:
            continue
        a = p.getCollisionShapeData(fast, j, physicsClientId=client)
        b = p.getCollisionShapeData(stock, j, physicsClientId=client)
        assert len(a) == len(b) == 1
        assert a[0][2] == b[0][2] == p.GEOM_SPHERE
        assert a[0][3][0] == pytest.approx(0.03)
        np.testing.assert_allclose(a[0][5], b[0][5], atol=1e-9)


# ---------------------------------------------------------------- (c) visuals are the stock meshes


def test_visuals_are_resolved_stock_meshes(client, bodies):
    fast, stock = bodies
    vis_fast = p.getVisualShapeData(fast, physicsClientId=client)
    vis_stock = p.getVisualShapeData(stock, physicsClientId=client)
    assert len(vis_fast) == len(vis_stock)
    meshes = 0
    for a, b in zip(vis_fast, vis_stock, strict=True):
        assert a[1] == b[1] and a[2] == b[2], "link index / geometry type"
        np.testing.assert_allclose(a[3], b[3], atol=1e-9)
        np.testing.assert_allclose(a[5], b[5], atol=1e-9)
        np.testing.assert_allclose(a[6], b[6], atol=1e-9)
        if a[2] == p.GEOM_MESH:
            meshes += 1
            path = a[4].decode()
            assert "package://" not in path
            assert os.path.isabs(path) and os.path.isfile(path), path
            assert os.path.samefile(path, b[4].decode())
    assert meshes == NUM_LINKS_WITH_MESH_VISUALS


# ---------------------------------------------------------------- (d) resolve_urdf


@pytest.fixture
def cache_home(monkeypatch, tmp_path):
    """A fresh per-user cache root ($XDG_CACHE_HOME) and temp folder for one test."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(urdf_files, "_private_cache", None)
    return tmp_path


def test_resolve_urdf_is_idempotent(cache_home):
    first = resolve_urdf(FAST_URDF)
    assert Path(first).parent == cache_home / "cache" / "quadgait" / "urdf"
    assert Path(first).name.startswith("laikago_fast-") and Path(first).suffix == ".urdf"
    assert stat.S_IMODE(os.stat(first).st_mode) == 0o644
    text = Path(first).read_text()
    assert "package://" not in text
    mtime = os.stat(first).st_mtime_ns
    assert resolve_urdf(str(FAST_URDF)) == first
    assert os.stat(first).st_mtime_ns == mtime  # an intact file is reused, not rewritten
    assert Path(first).read_text() == text
    assert sorted(os.listdir(Path(first).parent)) == [Path(first).name]  # no stray temp files


def test_default_cache_is_per_user_not_the_shared_temp_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert urdf_files.urdf_cache_dir() == tmp_path / ".cache" / "quadgait" / "urdf"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # the XDG spec says: ignore a relative path
    assert urdf_files.urdf_cache_dir() == tmp_path / ".cache" / "quadgait" / "urdf"


def _trunk_mass_kg(urdf_path: str) -> float:
    cid = p.connect(p.DIRECT)
    try:
        body = p.loadURDF(urdf_path, flags=LOAD_FLAGS, physicsClientId=cid)
        return p.getDynamicsInfo(body, -1, physicsClientId=cid)[0]
    finally:
        p.disconnect(cid)


def test_tampered_cache_file_is_repaired_on_next_load(cache_home):
    cached = resolve_urdf(FAST_URDF)
    good = Path(cached).read_text()
    mass = _trunk_mass_kg(cached)
    assert mass == pytest.approx(13.715)
    # The audit's probe (S3): multiply the trunk mass by 10 in the cached copy.
    tampered = good.replace('<mass value="13.715"/>', '<mass value="137.15"/>', 1)
    assert tampered != good
    Path(cached).write_text(tampered)
    assert _trunk_mass_kg(cached) == pytest.approx(137.15)  # the tampering does change the robot...

    again = resolve_urdf(FAST_URDF)
    assert again == cached
    assert Path(again).read_text() == good  # ...and the next load puts the real robot back
    assert _trunk_mass_kg(again) == pytest.approx(mass)
    assert stat.S_IMODE(os.stat(again).st_mode) == 0o644


def test_truncated_cache_file_is_rewritten(cache_home):
    cached = resolve_urdf(FAST_URDF)
    good = Path(cached).read_text()
    Path(cached).write_text(good[: len(good) // 2])
    assert Path(resolve_urdf(FAST_URDF)).read_text() == good


def test_unwritable_cache_falls_back_to_a_private_temp_folder(cache_home, monkeypatch):
    blocker = cache_home / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    cached = Path(resolve_urdf(FAST_URDF))
    assert cached.parent.parent == cache_home / "tmp" and cached.parent.name.startswith("quadgait-urdf-")
    assert stat.S_IMODE(os.stat(cached.parent).st_mode) == 0o700  # private to this user
    assert _trunk_mass_kg(str(cached)) == pytest.approx(13.715)


def test_unusable_cached_entry_does_not_lock_the_user_out(cache_home):
    # Something this user cannot replace sits at the cache file's name (in the audit: another user's 0600 file).
    name = Path(resolve_urdf(FAST_URDF)).name
    entry = cache_home / "cache" / "quadgait" / "urdf" / name
    entry.unlink()
    entry.mkdir()
    cached = Path(resolve_urdf(FAST_URDF))
    assert cached != entry and cached.is_file()
    assert _trunk_mass_kg(str(cached)) == pytest.approx(13.715)


def test_project_urdf_dir_prefers_the_folder_inside_the_installed_package(monkeypatch, tmp_path):
    assert (urdf_files.project_urdf_dir() / "laikago_fast.urdf").is_file()
    (tmp_path / "urdf").mkdir()
    monkeypatch.setattr(urdf_files.resources, "files", lambda package: tmp_path)  # a wheel install: envs/urdf/
    assert urdf_files.project_urdf_dir() == tmp_path / "urdf"


def test_resolve_urdf_without_package_urls_returns_path_unchanged(tmp_path):
    stock = stock_laikago_urdf()
    assert os.path.isfile(stock)
    assert resolve_urdf(stock) == stock
    plain = tmp_path / "plain.urdf"
    plain.write_text('<robot name="x"><link name="a"/></robot>')
    assert resolve_urdf(plain) == str(plain)


def test_resolve_urdf_missing_file_raises(tmp_path):
    missing = tmp_path / "nope.urdf"
    with pytest.raises(FileNotFoundError, match="nope.urdf"):
        resolve_urdf(missing)
