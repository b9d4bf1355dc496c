"""deploy/.env.example documents every environment variable humtrack reads, and only those.

The reads are found with `ast` in the project's Python (the apps, bench/, deploy/, tests/, manage.py):
env("X"), env.<type>("X"), environ.Env().<type>("X"), os.environ["X"], os.environ.get/setdefault/pop("X"),
"X" in os.environ and os.getenv("X"); and in deploy's shell entrypoint and compose file, $X and ${X}.
A read names its variable literally, so that it can be checked. getattr(settings, "X", default) is
refused too: a setting is defined once, in humtrack/settings/ (where its variable is read), and used
as settings.X.
"""

import ast
import re
from collections import defaultdict
from pathlib import Path

from tests.deploy.example_env import DEPLOY, ENV_EXAMPLE, REPO, documented_variables

PYTHON_ROOTS = ("humtrack", "access", "needs", "situation", "scenarios", "bench", "deploy", "tests", "manage.py")
SHELL_FILES = (DEPLOY / "entrypoint.sh",)
COMPOSE_FILES = (DEPLOY / "compose.yaml",)
# The operating system's, not humtrack's: read, never documented.
OPERATING_SYSTEM = {"PATH", "TMPDIR"}
# django-environ's methods that read a variable (env.read_env and the *_config parsers do not).
ENV_READERS = {
    *("str", "bytes", "bool", "int", "float", "json", "list", "tuple", "dict", "url", "path", "get_value"),
    *("db", "db_url", "cache", "cache_url", "email", "email_url", "search_url", "channels", "channels_url"),
}
OS_ENVIRON_READERS = {"get", "setdefault", "pop"}


def _is_os_environ(node) -> bool:
    """os.environ, or environ imported from os."""
    if isinstance(node, ast.Attribute):
        return node.attr == "environ" and isinstance(node.value, ast.Name) and node.value.id == "os"
    return isinstance(node, ast.Name) and node.id == "environ"


def _is_env(node) -> bool:
    """The settings' `env`, or a django-environ Env made on the spot (environ.Env())."""
    if isinstance(node, ast.Name):
        return node.id == "env"
    if isinstance(node, ast.Call):
        return (isinstance(node.func, ast.Name) and node.func.id == "Env") or (
            isinstance(node.func, ast.Attribute) and node.func.attr == "Env"
        )
    return False


def _read_by(call: ast.Call):
    """The argument naming the variable when `call` reads one, else None."""
    func = call.func
    if isinstance(func, ast.Attribute):
        reads = (
            (func.attr in ENV_READERS and _is_env(func.value))  # env.int("X"), environ.Env().str("X")
            or (func.attr in OS_ENVIRON_READERS and _is_os_environ(func.value))  # os.environ.get("X")
            or (func.attr == "getenv" and isinstance(func.value, ast.Name) and func.value.id == "os")
        )
    else:
        reads = _is_env(func) or (isinstance(func, ast.Name) and func.id == "getenv")  # env("X"), getenv("X")
    if not reads:
        return None
    return call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in ("var", "key")), call)


class Reads(ast.NodeVisitor):
    """Variables a module reads (name -> where), and reads that cannot be checked."""

    def __init__(self, where: str):
        self.where = where
        self.found: dict[str, list[str]] = defaultdict(list)
        self.problems: list[str] = []

    def _variable(self, node, line: int):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            self.found[node.value].append(f"{self.where}:{line}")
        else:
            self.problems.append(f"{self.where}:{line}: name the variable literally, so that it can be checked")

    def visit_Call(self, node: ast.Call):
        if (argument := _read_by(node)) is not None:
            self._variable(argument, node.lineno)
        elif (
            isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) == 3
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id == "settings"
        ):
            self.problems.append(
                f"{self.where}:{node.lineno}: getattr(settings, ..., default): define the setting once in "
                "humtrack/settings/ (read from env there) and use settings.NAME"
            )
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript):
        if _is_os_environ(node.value) and isinstance(node.ctx, ast.Load):
            self._variable(node.slice, node.lineno)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare):
        if len(node.ops) == 1 and isinstance(node.ops[0], ast.In | ast.NotIn) and _is_os_environ(node.comparators[0]):
            self._variable(node.left, node.lineno)
        self.generic_visit(node)


def python_files(root: Path, names=PYTHON_ROOTS):
    for name in names:
        path = root / name
        yield from [path] if path.is_file() else sorted(path.rglob("*.py"))


def shell_reads(path: Path) -> set[str]:
    """Upper-case variables a POSIX shell script reads from its environment: `${X:-default}` and the
    like, and `$X` / `${X}` for an X the script never assigns."""
    text = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#"))
    assigned = set(re.findall(r"^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=", text, re.MULTILINE))
    with_default = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*):?[-+?=]", text))
    referenced = set(re.findall(r"\$\{?([A-Z_][A-Z0-9_]*)", text))
    return with_default | (referenced - assigned)


def compose_reads(path: Path) -> set[str]:
    """Variables docker compose interpolates from deploy/.env: ${X}, not $${X} (the container's own)."""
    return set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", path.read_text()))


def variables_read(root: Path = REPO, names=PYTHON_ROOTS, shell_files=SHELL_FILES, compose_files=COMPOSE_FILES):
    found: dict[str, list[str]] = defaultdict(list)
    problems: list[str] = []
    for path in python_files(root, names):
        reads = Reads(str(path.relative_to(root)))
        reads.visit(ast.parse(path.read_text(), filename=str(path)))
        for name, places in reads.found.items():
            found[name].extend(places)
        problems.extend(reads.problems)
    for path in shell_files:
        for name in shell_reads(path):
            found[name].append(path.name)
    for path in compose_files:
        for name in compose_reads(path):
            found[name].append(path.name)
    return found, problems


def audit(root: Path = REPO, example: Path = ENV_EXAMPLE, **where) -> list[str]:
    """What is wrong between the reads and the example, one line each; empty when nothing is."""
    found, problems = variables_read(root, **where)
    documented = documented_variables(example)
    for name in sorted(set(found) - set(documented) - OPERATING_SYSTEM):
        problems.append(f"{name} is read but not in deploy/.env.example: {', '.join(found[name])}")
    for name in sorted(set(documented) - set(found)):
        problems.append(f"{name} is in deploy/.env.example but read nowhere: remove it, or the scan misses its read")
    for name in sorted(set(documented) & OPERATING_SYSTEM):
        problems.append(f"{name} is the operating system's: not humtrack's to document")
    return problems


def test_every_variable_read_is_documented_and_every_documented_one_is_read():
    problems = audit()
    assert not problems, "\n".join(problems)


def test_each_documented_variable_says_what_it_does_and_its_default_once():
    for name, comments in documented_variables().items():
        assert len(comments) == 1, f"{name} is documented {len(comments)} times"
        assert "Default:" in comments[0], f"{name}: say its default (and 'Required in production.' if so)"


def test_the_scan_finds_each_kind_of_read(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "reads.py").write_text(
        "import os\nfrom os import environ, getenv\nimport environ as django_environ\n"
        'a = env("A_CALL")\nb = env.int("B_INT", default=1)\nc = django_environ.Env().str("C_FRESH")\n'
        'd = os.environ["D_ITEM"]\ne = os.environ.get("E_GET")\nos.environ.setdefault("F_SETDEFAULT", "x")\n'
        'g = os.getenv("G_GETENV")\nh = getenv("H_GETENV")\ni = environ.get("I_ENVIRON")\nj = "J_IN" in os.environ\n'
        'os.environ["NOT_A_READ"] = "written"\nk = env.email_url_config(url)\nenv.read_env(".env")\n'
        "l = os.environ.get(name)\nm = getattr(settings, 'M_SETTING', 3)\nn = getattr(settings, 'N_SETTING')\n"
    )
    script = tmp_path / "entrypoint.sh"
    script.write_text('#!/bin/sh\n# ${COMMENTED:-no}\nHERE=1\necho "${S_DEFAULT:-x} $S_PLAIN $HERE ${HERE}"\n')
    compose = tmp_path / "compose.yaml"
    compose.write_text('x: "${C_COMPOSE:?set it}"\ny: "$${CONTAINER_OWN}"\n')

    found, problems = variables_read(tmp_path, names=("app",), shell_files=(script,), compose_files=(compose,))

    assert set(found) == {
        *("A_CALL", "B_INT", "C_FRESH", "D_ITEM", "E_GET", "F_SETDEFAULT", "G_GETENV", "H_GETENV", "I_ENVIRON"),
        *("J_IN", "S_DEFAULT", "S_PLAIN", "C_COMPOSE"),
    }
    assert found["B_INT"] == ["app/reads.py:5"]
    assert [problem.split(": ", 1)[0] for problem in problems] == ["app/reads.py:17", "app/reads.py:18"]


def test_an_undocumented_read_and_a_removed_line_are_each_named(tmp_path):
    """What a developer would do: read a new variable, or delete one from the example."""
    for name in PYTHON_ROOTS:
        source = REPO / name
        (tmp_path / name).symlink_to(source, target_is_directory=source.is_dir())
    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "new_knob.py").write_text('FOO = env("FOO")\n')
    example = tmp_path / ".env.example"
    example.write_text(ENV_EXAMPLE.read_text().replace("HUMTRACK_API_RATE=1200/minute\n", ""))

    problems = audit(tmp_path, example, names=(*PYTHON_ROOTS, "extra"))

    assert len(problems) == 2, problems
    assert problems[0].startswith("FOO is read but not in deploy/.env.example: extra/new_knob.py:1")
    assert problems[1].startswith(
        "HUMTRACK_API_RATE is read but not in deploy/.env.example: humtrack/settings/base.py:"
    )
