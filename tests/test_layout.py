"""The tests' layout (tests/README.md): a test file under tests/<app>/ sits where the module it tests is.

tests/<app>/<pkg>/test_<module>.py, or test_<module>_<aspect>.py, for <app>/<pkg>/<module>.py or for a
package <app>/<pkg>/<module>/ (a test spanning the package); every test folder mirrors a package and
has an `__init__.py`. The cross-cutting suites are apart and exempt from the mirror. A test file at a
path that mirrors nothing fails here, named with the reason.
"""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SUITES = ("browser", "contract", "deploy", "integration", "ops", "security")  # cross-cutting: not one module's tests
PROJECT_WIDE = {"test_layout.py"}  # the only test file at the top of tests/: about the tests themselves
NAMES = "(test_<module>.py or test_<module>_<aspect>.py)"


def modules_in(package: Path) -> set[str] | None:
    """What a test file in the mirror of `package` may be named for: its modules and its subpackages."""
    if not (package / "__init__.py").is_file():
        return None
    modules = {path.stem for path in package.glob("*.py") if path.name != "__init__.py"}
    return modules | {path.name for path in package.iterdir() if (path / "__init__.py").is_file()}


def names_a_module(test_file: Path, modules: set[str]) -> bool:
    """test_<module>.py or test_<module>_<aspect>.py; module names have underscores too (fan_out)."""
    words = test_file.stem.removeprefix("test_").split("_")
    return any("_".join(words[:n]) in modules for n in range(1, len(words) + 1))


def misplaced(tests: Path, repo: Path) -> list[str]:
    """Every test file or folder under `tests` that breaks the layout, as 'path: why'."""
    problems = []
    for folder in sorted([tests, *(path for path in tests.rglob("*") if path.is_dir())]):
        if "__pycache__" not in folder.parts and any(folder.glob("*.py")) and not (folder / "__init__.py").is_file():
            problems.append(f"{folder.relative_to(tests.parent)}/: no __init__.py (the tests are packages)")
    for entry in sorted(tests.iterdir()):
        where = entry.relative_to(tests.parent)
        if entry.is_file() and entry.name.startswith("test_") and entry.name not in PROJECT_WIDE:
            problems.append(f"{where}: a test file at the top of tests/; move it beside the module it tests")
        if not entry.is_dir() or entry.name == "__pycache__" or entry.name in SUITES:
            continue
        if not (repo / entry.name / "__init__.py").is_file():
            problems.append(f"{where}/: neither an app of the project nor a cross-cutting suite ({', '.join(SUITES)})")
            continue
        for test_file in sorted(entry.rglob("test_*.py")):
            where, package = test_file.relative_to(tests.parent), test_file.parent.relative_to(tests)
            modules = modules_in(repo / package)
            if modules is None:
                problems.append(f"{where}: {package}/ is not a package")
            elif not names_a_module(test_file, modules):
                problems.append(f"{where}: names no module of {package}/ {NAMES}")
    return problems


def test_every_test_file_mirrors_a_module_or_sits_in_a_cross_cutting_suite():
    assert misplaced(REPO / "tests", REPO) == []


def write(root: Path, *paths: str) -> None:
    for path in paths:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).touch()


def test_a_test_file_that_mirrors_no_module_is_named_with_the_reason(tmp_path):
    write(
        tmp_path,
        "shop/__init__.py", "shop/services/__init__.py", "shop/services/fan_out.py", "shop/alerts/__init__.py",
        "tests/__init__.py", "tests/test_layout.py", "tests/test_stray.py",
        "tests/shop/__init__.py", "tests/shop/test_alerts_pipeline.py", "tests/shop/test_fan_out.py",
        "tests/shop/services/__init__.py", "tests/shop/services/test_fan_out.py",
        "tests/shop/services/test_fan_out_chunks.py", "tests/shop/services/test_invoices.py",
        "tests/shop/views/__init__.py", "tests/shop/views/test_page.py",
        "tests/shop/alerts/test_api.py",
        "tests/api/__init__.py", "tests/api/test_orders.py",
        "tests/integration/__init__.py", "tests/integration/test_anything_at_all.py",
    )  # fmt: skip

    assert misplaced(tmp_path / "tests", tmp_path) == [
        "tests/shop/alerts/: no __init__.py (the tests are packages)",
        "tests/api/: neither an app of the project nor a cross-cutting suite "
        "(browser, contract, deploy, integration, ops, security)",
        f"tests/shop/alerts/test_api.py: names no module of shop/alerts/ {NAMES}",
        f"tests/shop/services/test_invoices.py: names no module of shop/services/ {NAMES}",
        f"tests/shop/test_fan_out.py: names no module of shop/ {NAMES}",
        "tests/shop/views/test_page.py: shop/views/ is not a package",
        "tests/test_stray.py: a test file at the top of tests/; move it beside the module it tests",
    ]
