"""The layout of docs/explanation/architecture.md holds: lower layers never
import higher ones, there is no import circle, and every public name of
credscore and credscore.models keeps working from the same import."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import credscore
import credscore.models

PACKAGE = Path(credscore.__file__).parent

#: Layer of each module, by longest matching prefix (docs/explanation/architecture.md).
LAYERS: dict[str, int] = {
    "credscore.errors": 0,
    "credscore.semantics": 0,
    "credscore._validators": 0,
    "credscore._gc": 0,
    "credscore._html": 0,
    "credscore._optional": 0,
    "credscore._version": 0,
    "credscore.io.text": 0,
    "credscore.kernels": 1,
    "credscore.table": 2,
    "credscore.models": 3,
    "credscore.case": 4,
    "credscore.metrics": 4,
    "credscore.io": 5,
    "credscore.examples": 6,
    "credscore.datasets": 6,
    "credscore.dask": 6,
    "credscore.testing": 6,
    "credscore.strategies": 6,
    "credscore.plot": 6,
    "credscore.cli": 7,
    "credscore.__main__": 8,
    "credscore": 8,
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> int:
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[best]


def _imports(module: str) -> set[str]:
    """Every credscore module ``module`` imports, at any depth of its code
    (function-level and TYPE_CHECKING imports included), docstrings excluded."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    is_pkg = MODULES[module].name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".") if is_pkg else module.split(".")[:-1]
                pkg = pkg[: len(pkg) - node.level + 1]
                base = ".".join([*pkg, base] if base else pkg)
            # "from credscore.x import y": y may be a module of its own
            names = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names
            ]
        else:
            continue
        out |= {n for n in names if n == "credscore" or n.startswith("credscore.")}
    out.discard(module)
    return {n for n in out if n in MODULES}


GRAPH = {m: _imports(m) for m in MODULES}


def test_every_module_has_a_layer() -> None:
    """Every module of the package falls under one of the layers."""
    assert all(_layer(m) >= 0 for m in MODULES)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_lower_layers_never_import_higher_ones(module: str) -> None:
    """A module imports only modules of its own layer or below."""
    mine = _layer(module)
    higher = sorted(m for m in GRAPH[module] if _layer(m) > mine)
    assert not higher, f"{module} (layer {mine}) imports {higher}"


def test_no_import_circle() -> None:
    """No chain of imports inside credscore leads back to where it started
    (a package's __init__ importing its own modules is not a circle)."""

    def edges(m: str) -> set[str]:
        # An import of a module runs its packages' __init__ first; that is
        # Python's doing, not a dependency of the importer on the package.
        return {n for n in GRAPH[m] if not m.startswith(n + ".")}

    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(edges(m)):
            if state.get(n) == 1:
                raise AssertionError(
                    "import circle: " + " -> ".join([*stack[stack.index(n) :], n])
                )
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(MODULES):
        if m not in state:
            visit(m)


# Every public name as of the layout change (issue 9): they keep working.
PUBLIC = {
    "credscore": [
        "Case", "Claim", "ClaimScore", "CompiledCase", "Contribution", "ConvergenceWarning",
        "CorroborationModel", "CredscoreError", "CredscoreWarning", "FusionResult", "Group", "InvalidCaseError",
        "InvalidTableError", "Link", "NotFittedError", "Report", "Scores", "ScoringModel",
        "Source", "Stance", "Table", "__version__", "available_models", "case_models",
        "check_case", "compile_case", "dump_case", "examples", "fuse", "get_model",
        "learn_reliability", "load_case", "read_case_tables", "read_table",
        "register_case_model", "register_model", "score",
    ],
    "credscore.models": [
        "CATD", "CRH", "GLAD", "Accu", "AccuCopy", "AverageLog", "Corroboration",
        "DawidSkene", "FusionResult", "Investment", "IterativeModel", "Majority", "Mean",
        "Median", "OneCoin", "PooledInvestment", "PopAccu", "Progress", "ProgressReporter", "Sums",
        "ThreeEstimates", "TruthFinder", "TruthModel", "TwoEstimates", "available_models",
        "get_model", "register_model",
    ],
}  # fmt: skip


@pytest.mark.parametrize(
    ("module", "name"), [(m, n) for m, names in PUBLIC.items() for n in names]
)
def test_public_names_keep_working(module: str, name: str) -> None:
    """``from <module> import <name>`` works and the name is in ``__all__``."""
    mod = importlib.import_module(module)
    assert hasattr(mod, name)
    assert name in mod.__all__


def test_no_reach_into_another_package_private_module() -> None:
    """A module imports a private (underscore) module only from inside the
    package that owns it."""
    reach = []
    for module, deps in GRAPH.items():
        for dep in deps:
            parts = dep.split(".")
            private = [i for i, p in enumerate(parts) if p.startswith("_") and p != "__main__"]
            if private:
                owner = ".".join(parts[: private[0]])
                if module != owner and not module.startswith(owner + "."):
                    reach.append(f"{module} -> {dep}")
    assert not reach, reach
