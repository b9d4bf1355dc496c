"""The alert pipeline's shape (access/alerts/): modules import at the top, and only Celery imports tasks.

An import inside a function is how an import cycle hides; the pipeline enqueues tasks by name
(enqueue.py), so no application module needs tasks.py.
"""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PIPELINE = REPO / "access" / "alerts"
APPLICATION = ["access", "needs", "humtrack", "situation", "scenarios", "bench"]


def imports_in(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield node, [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [f"{node.module or ''}.{alias.name}" for alias in node.names]
            yield node, [f"{'.' * node.level}{node.module or ''}", *names]


def nested_imports(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        inner.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for inner in ast.walk(node)
        if isinstance(inner, ast.Import | ast.ImportFrom)
    ]


def test_the_pipeline_modules_import_only_at_the_top():
    found = {str(path.relative_to(REPO)): nested_imports(path) for path in sorted(PIPELINE.glob("*.py"))}
    assert {path: lines for path, lines in found.items() if lines} == {}


def test_nothing_but_celery_imports_a_tasks_module():
    importing = []
    for app in APPLICATION:
        for path in sorted((REPO / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node, names in imports_in(path):
                if any(name == "tasks" or name.endswith(".tasks") for name in names):
                    importing.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert importing == []
