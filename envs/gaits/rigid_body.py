"""Single-rigid-body model of a quadruped, computed from its URDF (pure numpy + xml; no PyBullet).

Model-based controllers treat the whole robot as one rigid body: total mass, centre of mass and rotational inertia
about the centre of mass, with the legs frozen in the standing pose (the legs weigh ~35% of a Laikago, so they are
lumped into the body rather than dropped). Everything is read from the URDF's ``<inertial>`` tags and joint
origins, never typed in, so the model follows the robot description.

Frames: the *body frame* is the URDF base link's frame (the frame of ``RobotDescription.hip_positions_body``).
PyBullet reports the base pose at the base link's *inertial* frame, which some URDFs (A1, Aliengo) place a
centimetre off the link frame; :attr:`RigidBodyModel.state_frame_offset_m` says where, so a controller can go from
:class:`~envs.state.RobotState`'s base pose to the body frame.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from envs.robots.description import RobotDescription

_MOVING_JOINTS = ("revolute", "continuous", "prismatic")


@dataclass(frozen=True)
class RigidBodyModel:
    """Lumped rigid-body parameters of a robot in its standing pose.

    Attributes:
        mass_kg: total mass of all links, kg.
        com_body_m: (3,) centre of mass in the body frame, m.
        inertia_body_kgm2: (3, 3) rotational inertia about the centre of mass, body axes, kg·m².
        state_frame_offset_m: (3,) origin of the frame PyBullet reports as the base pose (the base link's inertial
            frame) in the body frame, m. Its axes are the body axes (URDFs with a rotated base inertial frame are
            rejected).
    """

    mass_kg: float
    com_body_m: np.ndarray
    inertia_body_kgm2: np.ndarray
    state_frame_offset_m: np.ndarray


def rotation_from_rpy(rpy: np.ndarray) -> np.ndarray:
    """URDF fixed-axis roll-pitch-yaw (rad) → rotation matrix ``Rz(yaw) · Ry(pitch) · Rx(roll)``."""
    r, p, y = rpy
    cr, sr, cp, sp, cy, sy = np.cos(r), np.sin(r), np.cos(p), np.sin(p), np.cos(y), np.sin(y)
    return np.array([[cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
                     [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
                     [-sp, cp * sr, cp * cr]])


def _axis_rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    """Rodrigues' rotation of ``angle`` (rad) about the unit vector ``axis``."""
    k = axis / np.linalg.norm(axis)
    kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + np.sin(angle) * kx + (1.0 - np.cos(angle)) * kx @ kx


def _origin(element: ET.Element | None) -> tuple[np.ndarray, np.ndarray]:
    """(xyz m, rotation matrix) of an ``<origin>`` child of ``element`` (identity if absent)."""
    origin = None if element is None else element.find("origin")
    if origin is None:
        return np.zeros(3), np.eye(3)
    xyz = np.array([float(v) for v in origin.get("xyz", "0 0 0").split()])
    rpy = np.array([float(v) for v in origin.get("rpy", "0 0 0").split()])
    return xyz, rotation_from_rpy(rpy)


def _child(element: ET.Element, tag: str) -> ET.Element:
    """``element``'s first ``<tag>`` child; ValueError when it has none (a malformed URDF)."""
    found = element.find(tag)
    if found is None:
        raise ValueError(f"URDF <{element.tag} name={element.get('name')!r}> has no <{tag}>")
    return found


def _attr(element: ET.Element, key: str) -> str:
    """``element``'s attribute ``key``; ValueError when it is missing (a malformed URDF)."""
    value = element.get(key)
    if value is None:
        raise ValueError(f"URDF <{element.tag} name={element.get('name')!r}> has no {key!r} attribute")
    return value


def rigid_body_model(robot: RobotDescription, urdf_path: str | Path) -> RigidBodyModel:
    """Lump the robot in ``urdf_path`` into one rigid body, legs in ``robot``'s standing pose.

    Raises:
        ValueError: the URDF has no single root link, lacks one of the robot's joints, or has a rotated base
            inertial frame.
    """
    root = ET.parse(str(urdf_path)).getroot()
    links = {_attr(link, "name"): link for link in root.findall("link")}
    joints = root.findall("joint")
    children = {_attr(_child(j, "child"), "link") for j in joints}
    roots = [name for name in links if name not in children]
    if len(roots) != 1:
        raise ValueError(f"{urdf_path}: expected one root link, found {roots}")
    angles = dict(zip(robot.urdf_joint_names, robot.controller_to_urdf(robot.standing_angles), strict=True))
    missing = [n for n in robot.urdf_joint_names if n not in {j.get("name") for j in joints}]
    if missing:
        raise ValueError(f"{urdf_path}: joints {missing} of robot {robot.name!r} not found")
    by_parent: dict[str, list[ET.Element]] = {}
    for joint in joints:
        by_parent.setdefault(_attr(_child(joint, "parent"), "link"), []).append(joint)

    # Pose of every link frame in the body (root link) frame, walking the tree from the root.
    poses: dict[str, tuple[np.ndarray, np.ndarray]] = {roots[0]: (np.zeros(3), np.eye(3))}
    stack = [roots[0]]
    while stack:
        parent = stack.pop()
        p_pos, p_rot = poses[parent]
        for joint in by_parent.get(parent, []):
            xyz, rot = _origin(joint)
            pos, rot = p_pos + p_rot @ xyz, p_rot @ rot
            name = _attr(joint, "name")
            if joint.get("type") in _MOVING_JOINTS and name in angles:
                axis_el = joint.find("axis")
                axis_xyz = _attr(axis_el, "xyz") if axis_el is not None else "1 0 0"  # URDF's default axis
                axis = np.array([float(v) for v in axis_xyz.split()])
                if joint.get("type") == "prismatic":
                    pos = pos + rot @ axis * angles[name]
                else:
                    rot = rot @ _axis_rotation(axis, angles[name])
            child = _attr(_child(joint, "child"), "link")
            poses[child] = (pos, rot)
            stack.append(child)

    masses, coms, inertias = [], [], []
    for name, (pos, rot) in poses.items():
        inertial = links[name].find("inertial")
        if inertial is None or inertial.find("mass") is None:
            continue
        xyz, i_rot = _origin(inertial)
        tag = inertial.find("inertia")
        moments = {key: float(tag.get(key, 0.0)) if tag is not None else 0.0
                   for key in ("ixx", "ixy", "ixz", "iyy", "iyz", "izz")}
        local = np.array([[moments["ixx"], moments["ixy"], moments["ixz"]],
                          [moments["ixy"], moments["iyy"], moments["iyz"]],
                          [moments["ixz"], moments["iyz"], moments["izz"]]])
        r_total = rot @ i_rot
        masses.append(float(_attr(_child(inertial, "mass"), "value")))
        coms.append(pos + rot @ xyz)
        inertias.append(r_total @ local @ r_total.T)
    mass = float(sum(masses))
    com = np.sum([m * c for m, c in zip(masses, coms, strict=True)], axis=0) / mass
    inertia = np.zeros((3, 3))
    for m, c, i_link in zip(masses, coms, inertias, strict=True):
        d = c - com
        inertia += i_link + m * (np.dot(d, d) * np.eye(3) - np.outer(d, d))  # parallel-axis theorem

    base_xyz, base_rot = _origin(links[roots[0]].find("inertial"))
    if not np.allclose(base_rot, np.eye(3), atol=1e-9):
        raise ValueError(f"{urdf_path}: a rotated base inertial frame is not supported")
    return RigidBodyModel(mass_kg=mass, com_body_m=com, inertia_body_kgm2=inertia, state_frame_offset_m=base_xyz)
