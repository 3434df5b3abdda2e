"""The layering the docstrings promise, checked from the source (``ast``, nothing imported):

* the library (``envs``) never imports ``train`` (the command line, training and the benchmark runner);
* gaits, tasks, metrics and gait analysis are pure numpy: neither they nor anything they import reach PyBullet or
  the simulation shell (``envs.sim``), so they load and are unit-tested without a physics client;
* no import cycle inside the packages;
* each shared constant is defined in one module (the others import it).

Every import counts: at module level, inside a function (a lazy import is still a dependency) and under
``TYPE_CHECKING`` (an annotation-only cycle is still two modules that need each other). Importing ``envs.gaits``
also runs ``envs/__init__.py``, which registers the envs; that implicit parent import is not an edge here, since
the rule is about what each module needs.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("envs", "train", "quadgait")
#: Modules that must not reach PyBullet or the simulation shell, by name prefix.
PURE = ("envs.gaits", "envs.tasks", "envs.metrics", "envs.path_metrics", "envs.gait_analysis")
#: What a pure module must not reach: the physics engines, the project's loader of PyBullet and the simulation
#: shells (PyBullet's and the MuJoCo twin's).
PHYSICS = ("pybullet", "envs._pybullet", "envs.sim", "mujoco", "envs.mujoco_sim")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def project_modules() -> dict[str, Path]:
    """Every module of the packages: dotted name -> file."""
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def _resolve(module: str, name: str | None) -> str:
    """``from module import name``: the submodule when ``name`` is one, else ``module`` itself."""
    if name is not None and f"{module}.{name}" in project_modules():
        return f"{module}.{name}"
    return module


@cache
def imports_of(module: str) -> frozenset[str]:
    """Dotted names ``module`` imports (project modules resolved to submodules; others as written)."""
    path = project_modules()[module]
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            found.update(_resolve(source, alias.name) for alias in node.names)
    return frozenset(found)


def project_imports(module: str) -> set[str]:
    return {name for name in imports_of(module) if name in project_modules()}


def reaches(module: str, targets: tuple[str, ...]) -> list[str] | None:
    """The import chain from ``module`` to a name under ``targets`` (through project modules), or None."""
    def hit(name: str) -> bool:
        return any(name == t or name.startswith(t + ".") for t in targets)

    seen, stack = {module}, [[module]]
    while stack:
        chain = stack.pop()
        for name in sorted(imports_of(chain[-1])):
            if hit(name):
                return [*chain, name]
            if name in project_modules() and name not in seen:
                seen.add(name)
                stack.append([*chain, name])
    return None


def import_cycles() -> list[list[str]]:
    """Strongly connected groups of more than one project module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(project_imports(v) - {v}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(project_modules()):
        if module not in index:
            visit(module)
    return groups


def test_the_import_graph_is_read():
    assert {"envs.env", "envs.gaits.spec", "train.cli", "train.bench.runner"} <= set(project_modules())
    assert "envs.sim" in project_imports("envs.env") and "pybullet" in imports_of("envs._pybullet")
    assert "envs.gaits.spec" in project_imports("envs.gaits")  # relative imports resolve


def test_the_library_never_imports_train():
    offenders = {m: sorted(n for n in imports_of(m) if n == "train" or n.startswith("train."))
                 for m in project_modules() if m.split(".")[0] == "envs"}
    assert not {m: n for m, n in offenders.items() if n}


@pytest.mark.parametrize("module", sorted(m for m in project_modules() if m.startswith(PURE)))
def test_pure_modules_do_not_reach_the_physics(module):
    chain = reaches(module, PHYSICS)
    assert chain is None, " -> ".join(chain)


def test_the_pure_modules_are_found():
    pure = [m for m in project_modules() if m.startswith(PURE)]
    assert {"envs.gaits.model_based", "envs.tasks.velocity", "envs.metrics", "envs.gait_analysis"} <= set(pure)


def test_a_physics_import_is_caught():
    assert reaches("envs.env", PHYSICS) is not None


def test_no_import_cycles():
    assert import_cycles() == []


#: Constants that used to be defined in several places; each now has one home.
SHARED_CONSTANTS = {"GRAVITY_MPS2": "envs.robots.description", "LEG_NAMES": "envs.robots.description",
                    "COMMAND_LIMITS": "envs.tasks.commands", "TRACKING_SIGMA_MPS": "envs.tasks.rewards"}


def test_each_shared_constant_is_defined_once():
    homes: dict[str, list[str]] = {name: [] for name in SHARED_CONSTANTS}
    for module, path in project_modules().items():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign):
                targets = [node.target]
            else:
                continue
            for target in targets:
                if isinstance(target, ast.Name) and target.id in homes:
                    homes[target.id].append(module)
    assert homes == {name: [home] for name, home in SHARED_CONSTANTS.items()}
