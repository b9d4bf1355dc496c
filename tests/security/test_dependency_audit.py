"""The dependency audit's reading of pip-audit: an audit that audited nothing is never called a pass."""

from tests.security.audit_dependencies import read_audit, verdict

NOT_FOUND = "Dependency not found on PyPI and could not be audited: django (5.2.19)"


def test_an_unreachable_vulnerability_service_is_reported_as_not_audited_without_failing_ci():
    report = read_audit({"dependencies": [{"name": "django", "skip_reason": NOT_FOUND}] * 3, "fixes": []})
    code, message = verdict(report)
    assert report.service_unreachable
    assert code == 0
    assert "NO package was audited" in message and "3 skipped" in message


def test_a_known_vulnerability_fails_the_audit_and_names_the_fix():
    output = {
        "dependencies": [
            {"name": "django", "version": "5.2.0", "vulns": [{"id": "PYSEC-2025-1", "fix_versions": ["5.2.1"]}]},
            {"name": "celery", "version": "5.7.0", "vulns": []},
        ]
    }
    code, message = verdict(read_audit(output))
    assert code == 1
    assert "django 5.2.0: PYSEC-2025-1 (fixed in 5.2.1)" in message


def test_audited_packages_without_vulnerabilities_pass_and_list_what_was_skipped():
    output = {
        "dependencies": [
            {"name": "django", "version": "5.2.19", "vulns": []},
            {"name": "humtrack-local", "skip_reason": "Dependency not found on PyPI"},
        ]
    }
    code, message = verdict(read_audit(output))
    assert code == 0
    assert "1 packages audited" in message and "humtrack-local" in message
