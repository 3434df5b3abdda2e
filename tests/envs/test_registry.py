"""The registry on its own: every id names parts that exist, lookups are typed and strict, and the helpers agree
with what gymnasium registered."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the ids)
from envs.actions import ActionMap, JointTargets
from envs.registry import (
    ACTIONS,
    ENVS,
    MAX_EPISODE_STEPS,
    TASKS,
    command_range,
    env_parts,
    episode_steps,
    lookup_action,
    lookup_task,
    task_settings,
)
from envs.tasks.common import Task
from envs.tasks.velocity import VelocityTask
from envs.tasks.walk import WalkTask


@pytest.mark.parametrize("env_id", sorted(ENVS))
def test_every_id_is_registered_with_its_table_line(env_id):
    spec = gym.spec(env_id)
    assert dict(spec.kwargs) == dict(ENVS[env_id]) and spec.max_episode_steps == MAX_EPISODE_STEPS
    task_cls, action_cls, kwargs = env_parts(env_id)
    assert TASKS[kwargs["task"]] is task_cls and ACTIONS[kwargs["action"]] is action_cls


def test_lookups_return_parts_and_let_a_part_class_through():
    assert lookup_task("walk") is WalkTask and lookup_action("joint_targets") is JointTargets
    assert all(issubclass(lookup_task(n), Task) for n in TASKS)
    assert all(issubclass(lookup_action(n), ActionMap) for n in ACTIONS)
    assert lookup_task(VelocityTask) is VelocityTask


@pytest.mark.parametrize("call, message", [
    (lambda: lookup_task("hop"), "unknown task 'hop'; valid: walk, velocity, gait"),
    (lambda: lookup_action("wings"), "unknown action 'wings'; valid: joint_targets"),
    (lambda: lookup_task(JointTargets), "unknown task"),  # an action map is not a task
    (lambda: env_parts("quadgait/Nope-v0"), "is not a quadgait env id"),
])
def test_unknown_parts_fail_listing_the_valid_ones(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_command_range_and_task_settings_follow_the_kwargs():
    low, high = command_range("quadgait/LaikagoWalk-v0", {"target_speed_mps": 0.8})
    np.testing.assert_array_equal(low, [0.8, 0.0, 0.0])
    np.testing.assert_array_equal(high, low)
    low, high = command_range("quadgait/LaikagoSteer-v0")
    np.testing.assert_array_equal(low, [-0.5, -0.4, -0.8])
    np.testing.assert_array_equal(high, [1.0, 0.4, 0.8])
    task_cls, settings = task_settings("quadgait/LaikagoTrotResidual-v0")
    assert task_cls is WalkTask and settings.target_speed_mps == 1.0  # the id's own default
    with pytest.raises(ValueError, match="target_speed_mps"):
        task_settings("quadgait/LaikagoWalk-v0", {"target_speed_mps": 99.0})


def test_episode_steps_count_control_steps():
    assert episode_steps(20.0) == 1000 and episode_steps(2.0, {"control_hz": 250.0}) == 500
    assert episode_steps(0.001) == 1
