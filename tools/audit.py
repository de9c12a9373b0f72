"""`make lint`'s dependency audit: pip-audit against the registry's advisory data.

Fails on any known vulnerability. Where the advisory data cannot be reached (an offline
machine, a registry mirror without the vulnerability API), pip-audit reports every package as
"not found" and would still print "No known vulnerabilities found": this says plainly that
nothing was audited instead, and does not fail the lint for it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# Advisories left open, each with the reason (id -> why it does not apply or cannot be fixed).
IGNORED: dict[str, str] = {}


def main() -> int:
    command = [
        str(Path(sys.executable).with_name("pip-audit")),
        "--progress-spinner",
        "off",
        "--skip-editable",
        "--format",
        "json",
        *[arg for vuln in IGNORED for arg in ("--ignore-vuln", vuln)],
    ]
    try:
        result = subprocess.run(  # noqa: S603 (our own venv's tool, fixed arguments)
            command, capture_output=True, text=True, timeout=600, check=False
        )
        report = json.loads(result.stdout or "{}")
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as error:
        print(f"pip-audit: could not run or reach advisory data ({error}); nothing audited")
        return 0
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            print(f"{dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixes})")
    if not audited:
        print(
            f"pip-audit: advisory data not reachable from here; {len(dependencies)} packages "
            "NOT audited (run `make lint` where PyPI's vulnerability API is reachable)"
        )
        return 0
    skipped = len(dependencies) - len(audited)
    print(f"pip-audit: {len(audited)} packages audited, {skipped} skipped, {len(vulnerable)} vulnerable")
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
