"""openapi-python-client generates a partner client from the served schema, warning only about Atom/CAP.

Issue 13: "openapi-python-client generates a client from the served schema with no warning but the one
for the Atom/CAP body". The other tests of this suite use that client (tests/contract/test_partner_workflow.py).
"""

from tests.contract.generation import ATOM_CAP_WARNING, BANNER, unexpected_warnings


def test_the_generator_warns_about_nothing_but_the_atom_cap_feed(generated):
    others = unexpected_warnings(generated.output)

    assert others == "", f"openapi-python-client warned about more than the Atom/CAP feed:\n{others}"


def test_the_atom_cap_warning_alone_is_recognised_and_any_other_is_listed():
    atom_cap = (
        "WARNING parsing GET /api/v1/alerts/cap/ within alerts.\n\nCannot parse response for status code "
        "<openapi_python_client.schema.untrusted_string.UntrustedString object at 0x7fabaf242d10> "
        "(Unsupported content_type application/atom+xml), response will be omitted from generated client\n\n"
        '{\n  "description": "Atom + CAP 1.2",\n  "content": {\n    "application/atom+xml": {\n'
        '      "schema": {\n        "type": "string"\n      }\n    }\n  }\n}\n\n'
    )
    other = "WARNING parsing GET /api/v1/regions/ within regions.\n\nCannot parse response for status code 200\n\n"
    trailer = "If you believe this was a mistake or this tool is missing a feature you need, please open an issue"

    assert ATOM_CAP_WARNING.search(atom_cap)
    assert unexpected_warnings("Generating /tmp/client\n") == ""
    assert unexpected_warnings(f"{BANNER}\n\n{atom_cap}{trailer}") == ""
    assert unexpected_warnings(f"{BANNER}\n\n{atom_cap}{other}{trailer}") == other.strip()
    assert unexpected_warnings(f"{BANNER}\n\n{other}{trailer}") == other.strip()
    assert unexpected_warnings(f"{BANNER}\n\n{atom_cap}{atom_cap}{trailer}") != ""
