"""The partner client generated from the served schema, as a partner would make it (issue 13).

`generate(served_schema, into)` takes the schema the server serves, runs openapi-python-client 0.29.1
on it (the CLI, as a partner runs it) and returns what the generator said and the generated package's
name; `unexpected_warnings(output)` lists every warning but the one the schema earns on purpose: the
Atom + CAP 1.2 feed (`GET /api/v1/alerts/cap/`) is XML, which a JSON client cannot parse, so the
generator leaves that one response out.
"""

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "humtrack_partner_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
GENERATE_TIMEOUT_SECONDS = 120

ANSI = re.compile(r"\x1b\[[0-9;]*m")
BANNER = "Warning(s) encountered while generating. Client was generated, but some pieces may be missing"
TRAILER = "If you believe this was a mistake or this tool is missing a feature you need"
# 0.29.1 prints the status code as an object's repr ("<...UntrustedString object at 0x7f...>"): either is matched.
ATOM_CAP_WARNING = re.compile(
    r"WARNING parsing GET /api/v1/alerts/cap/ within alerts\.\s+"
    r"Cannot parse response for status code (?:<[^<>]*>|200) \(Unsupported content_type application/atom\+xml\), "
    r"response will be omitted from generated client\s+"
    r"\{\n.*?\"application/atom\+xml\".*?\n\}\n",
    re.DOTALL,
)


@dataclass(frozen=True)
class Generated:
    output: str  # what the generator printed, stdout then stderr, without colours
    path: Path  # the folder to put on sys.path
    package: str
    schema: Path  # the served schema, as the generator read it


def generate(served_schema: dict, into: Path) -> Generated:
    schema = into / "schema.json"
    schema.write_text(json.dumps(served_schema))
    # The generator formats its output with ruff (a dev dependency): it must find it, or it warns.
    env = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [str(GENERATOR), "generate", "--path", str(schema), "--output-path", str(into / PACKAGE)]
    done = subprocess.run(  # noqa: S603 (our own virtualenv's generator, on a file we wrote)
        [*command, "--meta", "none"], capture_output=True, text=True, env=env, timeout=GENERATE_TIMEOUT_SECONDS
    )
    output = ANSI.sub("", done.stdout + done.stderr)
    assert done.returncode == 0, f"openapi-python-client failed ({done.returncode}):\n{output}"
    return Generated(output=output, path=into, package=PACKAGE, schema=schema)


def unexpected_warnings(output: str) -> str:
    """Everything the generator warned about but the Atom/CAP body, verbatim ('' when nothing else)."""
    if BANNER not in output:
        return ""
    warnings = output.split(BANNER, 1)[1].split(TRAILER, 1)[0]
    return ATOM_CAP_WARNING.sub("", warnings, count=1).strip()
