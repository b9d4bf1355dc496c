"""axe-core in a real page: the accessibility violations a browser test fails on (serious and critical)."""

from pathlib import Path

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
FAILING_IMPACTS = ("serious", "critical")


def axe_violations(driver, impacts=FAILING_IMPACTS) -> list[str]:
    """Run axe-core (WCAG 2.0/2.1 A and AA, and best practices) on the page the driver shows; one line per
    violation of the given impacts: rule, impact, how many nodes, and the first node's selector."""
    driver.execute_script(AXE)
    driver.set_script_timeout(60)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(done, e => done({error: String(e)}));"
    )
    if "error" in result:
        raise AssertionError(f"axe-core failed: {result['error']}")
    return [
        f"{v['id']} ({v['impact']}): {len(v['nodes'])} node(s), e.g. {v['nodes'][0]['target']} — {v['help']}"
        for v in result["violations"]
        if v["impact"] in impacts
    ]
