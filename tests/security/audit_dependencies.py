"""Dependency audit for `make check-security`: pip-audit over the project's virtualenv, read honestly.

pip-audit asks a vulnerability service (PyPI's JSON API) about every installed package. Where that
service cannot be reached (a machine with only a package mirror, as some CI machines have), pip-audit
marks every package "not found on PyPI", still prints "No known vulnerabilities found" and exits 0.
That would be a green audit that audited nothing. This wrapper tells the three cases apart:

- packages audited, no vulnerability: exit 0;
- a vulnerability in an audited package (and not in IGNORED_VULNERABILITIES): list them, exit 1;
- nothing audited (the service is unreachable): say so plainly and exit 0, because CI cannot fail
  for a network it does not have. The audit then has to run where PyPI is reachable.

Run: `python -m tests.security.audit_dependencies` (make check-security does).
"""

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

# Vulnerabilities reviewed and accepted, each with why: {"GHSA-…" or "PYSEC-…": "reason"}. Empty today.
IGNORED_VULNERABILITIES: dict[str, str] = {}

UNREACHABLE_NOTICE = (
    "pip-audit: the vulnerability service (PyPI's JSON API) did not answer for any package from this "
    "machine, so NO package was audited ({skipped} skipped). This is not a pass: nothing is known either "
    "way. Run `make check-security` on a machine that reaches pypi.org to audit the dependencies."
)


@dataclass
class AuditReport:
    audited: int = 0
    skipped: list[str] = field(default_factory=list)
    vulnerabilities: list[str] = field(default_factory=list)

    @property
    def service_unreachable(self) -> bool:
        return self.audited == 0 and bool(self.skipped)


def read_audit(output: dict) -> AuditReport:
    """pip-audit's JSON (`--format json`) as what was audited, skipped and found."""
    report = AuditReport()
    for dependency in output.get("dependencies", []):
        if "skip_reason" in dependency:
            report.skipped.append(f"{dependency['name']}: {dependency['skip_reason']}")
            continue
        report.audited += 1
        for vulnerability in dependency.get("vulns", []):
            ids = [vulnerability["id"], *vulnerability.get("aliases", [])]
            if any(i in IGNORED_VULNERABILITIES for i in ids):
                continue
            fixed = ", ".join(vulnerability.get("fix_versions", [])) or "no fixed version yet"
            report.vulnerabilities.append(
                f"{dependency['name']} {dependency['version']}: {vulnerability['id']} (fixed in {fixed})"
            )
    return report


def verdict(report: AuditReport) -> tuple[int, str]:
    """Exit code and what to print."""
    if report.service_unreachable:
        return 0, UNREACHABLE_NOTICE.format(skipped=len(report.skipped))
    lines = [f"pip-audit: {report.audited} packages audited."]
    if report.skipped:
        lines.append(f"Not audited ({len(report.skipped)}), e.g. not published on PyPI:")
        lines += [f"  {skipped}" for skipped in report.skipped]
    if report.vulnerabilities:
        lines.append(f"Known vulnerabilities ({len(report.vulnerabilities)}): upgrade the pin, or accept one in")
        lines.append("tests/security/audit_dependencies.py IGNORED_VULNERABILITIES with the reason.")
        lines += [f"  {found}" for found in report.vulnerabilities]
        return 1, "\n".join(lines)
    lines.append("No known vulnerabilities.")
    return 0, "\n".join(lines)


def main() -> int:
    pip_audit = Path(sys.executable).with_name("pip-audit")
    command = [str(pip_audit), "--format", "json", "--progress-spinner", "off", "--timeout", "15"]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        output = json.loads(completed.stdout or "{}")
    except (subprocess.TimeoutExpired, json.JSONDecodeError) as error:
        # pip-audit fails outright (rather than skipping) on some network errors.
        print(f"pip-audit did not complete ({error}).", file=sys.stderr)
        output = {}
        completed = None
    if not output.get("dependencies"):
        if completed is not None and completed.stderr:
            print(completed.stderr.strip()[-2000:], file=sys.stderr)
        print(UNREACHABLE_NOTICE.format(skipped="all"))
        return 0
    code, message = verdict(read_audit(output))
    print(message)
    return code


if __name__ == "__main__":
    sys.exit(main())
