"""The layering rules: scoring.py is pure, and imports point one way (events <- pitches
<- judging <- portal/demo)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Packages from left to right: each may import only from packages to its left.
LAYERS = ["events", "pitches", "judging", "portal"]
SHARED = {"auth", "extensions", "config", "formkit"}
FORBIDDEN_IN_SCORING = {
    "flask",
    "flask_sqlalchemy",
    "sqlalchemy",
    "weasyprint",
    "werkzeug",
    "wtforms",
    "flask_wtf",
    "flask_login",
    "extensions",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_scoring_module_imports_no_framework():
    imported = _imports(ROOT / "judging" / "scoring.py")
    assert imported & FORBIDDEN_IN_SCORING == set()
    assert imported <= {
        "collections",
        "hashlib",  # the draw at the funding line (rule 8)
        "dataclasses",
        "decimal",
        "fractions",
        "functools",  # lru_cache: rounded figures are remembered
        "statistics",
        "typing",
        "math",
        "enum",
    }


def test_assignment_module_imports_no_framework():
    imported = _imports(ROOT / "judging" / "assignment.py")
    assert imported & FORBIDDEN_IN_SCORING == set()
    assert imported <= {"collections", "dataclasses", "random", "typing", "math"}


@pytest.mark.parametrize("package", LAYERS)
def test_package_imports_only_leftwards(package):
    allowed_right = set(LAYERS[LAYERS.index(package) + 1 :]) | {"demo", "app"}
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & allowed_right)
        for path in (ROOT / package).rglob("*.py")
        if _imports(path) & allowed_right
    }
    assert offenders == {}


@pytest.mark.parametrize("module", sorted(SHARED - {"config"}))
def test_shared_modules_import_no_feature_package(module):
    path = (
        ROOT / module / "__init__.py"
        if (ROOT / module).is_dir()
        else ROOT / f"{module}.py"
    )
    files = [path] if path.suffix == ".py" and path.exists() else []
    if (ROOT / module).is_dir():
        files = list((ROOT / module).rglob("*.py"))
    bad = {
        str(f.relative_to(ROOT)): sorted(_imports(f) & (set(LAYERS) | {"demo"}))
        for f in files
        if _imports(f) & (set(LAYERS) | {"demo"})
    }
    assert bad == {}


def test_pdf_worker_imports_nothing_of_the_app():
    imported = _imports(ROOT / "judging" / "pdf_worker.py")
    assert imported & (set(LAYERS) | SHARED | {"flask", "app"}) == set()
