"""deploy/nginx and deploy/systemd, for a plain VM: nginx's site parses with nginx's own directive
table (crossplane), and systemd accepts the units (systemd-analyze verify)."""

import configparser
import shutil
import subprocess

import crossplane
import pytest

from tests.deploy.example_env import DEPLOY, REPO
from tests.deploy.test_gunicorn import POSTGRESQL_CONNECTIONS

SITE = DEPLOY / "nginx" / "humtrack.conf"
SYSTEMD = DEPLOY / "systemd"
PGBOUNCER_INI = DEPLOY / "pgbouncer" / "pgbouncer.ini"
UNITS = ("humtrack-web.service", "humtrack-worker@.service", "humtrack-beat.service")


def parse_site(tmp_path, site=SITE):
    # A site file sits in nginx's http block: parse it where nginx would include it.
    main = tmp_path / "nginx.conf"
    main.write_text(f"events {{}}\nhttp {{ include {site}; }}\n")
    return crossplane.parse(str(main), strict=True, check_ctx=True, check_args=True)


def directives(block):
    for directive in block:
        yield directive
        yield from directives(directive.get("block", []))


def test_nginx_site_parses_cleanly(tmp_path):
    parsed = parse_site(tmp_path)
    assert parsed["status"] == "ok", parsed["errors"]


def test_nginx_parse_would_catch_a_misspelt_directive(tmp_path):
    broken = tmp_path / "site.conf"
    broken.write_text(SITE.read_text().replace("proxy_set_header Host", "proxy_set_headr Host"))
    parsed = parse_site(tmp_path, broken)
    assert parsed["status"] == "failed"
    assert "proxy_set_headr" in parsed["errors"][0]["error"]


def test_nginx_terminates_tls_forwards_the_scheme_and_serves_static_files(tmp_path):
    site = parse_site(tmp_path)["config"][1]["parsed"]
    found = [(d["directive"], d["args"]) for d in directives(site)]
    assert ("listen", ["443", "ssl", "http2"]) in found
    assert any(name == "ssl_certificate" for name, _ in found)
    assert ("proxy_set_header", ["X-Forwarded-Proto", "$scheme"]) in found
    assert ("proxy_set_header", ["Host", "$host"]) in found
    assert ("alias", ["/opt/humtrack/staticfiles/"]) in found
    assert ("return", ["301", "https://$host$request_uri"]) in found


@pytest.fixture
def installed_units(tmp_path):
    """The units as installed on a VM whose checkout is this repository."""
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed here")
    for unit in UNITS:
        (tmp_path / unit).write_text((SYSTEMD / unit).read_text().replace("/opt/humtrack", str(REPO)))
    return tmp_path


def verify(folder, *units):
    return subprocess.run(["systemd-analyze", "verify", *units], cwd=folder, capture_output=True, text=True, timeout=60)


def test_systemd_accepts_the_units(installed_units):
    result = verify(installed_units, "humtrack-web.service", "humtrack-worker@alerts.service", "humtrack-beat.service")
    assert result.returncode == 0
    assert result.stderr == "", result.stderr


def test_systemd_verify_would_report_a_mistake(installed_units):
    unit = installed_units / "humtrack-beat.service"
    unit.write_text(unit.read_text().replace("ExecStart=", "ExecStrat="))
    assert "ExecStrat" in verify(installed_units, "humtrack-beat.service").stderr


def test_units_run_web_worker_and_beat_through_the_entrypoint():
    commands = {
        unit: line
        for unit in UNITS
        for line in (SYSTEMD / unit).read_text().splitlines()
        if line.startswith("ExecStart=")
    }
    assert commands == {
        "humtrack-web.service": "ExecStart=/opt/humtrack/deploy/entrypoint.sh web",
        "humtrack-worker@.service": "ExecStart=/opt/humtrack/deploy/entrypoint.sh worker",
        "humtrack-beat.service": "ExecStart=/opt/humtrack/deploy/entrypoint.sh beat",
    }


def test_units_start_after_pgbouncer():
    for unit in UNITS:
        (after,) = [line for line in (SYSTEMD / unit).read_text().splitlines() if line.startswith("After=")]
        assert "pgbouncer.service" in after.split("=", 1)[1].split(), unit


def test_the_vms_pgbouncer_pools_by_transaction_on_loopback_within_postgresqls_connections():
    config = configparser.ConfigParser()
    config.read(PGBOUNCER_INI)
    pgbouncer = config["pgbouncer"]
    assert pgbouncer["pool_mode"] == "transaction"
    assert (pgbouncer["listen_addr"], pgbouncer["listen_port"]) == ("127.0.0.1", "6432")
    assert pgbouncer["auth_type"] == "scram-sha-256"
    assert int(pgbouncer["default_pool_size"]) <= int(pgbouncer["max_db_connections"]) <= POSTGRESQL_CONNECTIONS
    assert "host=127.0.0.1 port=5432 dbname=humtrack" in config["databases"]["humtrack"]
