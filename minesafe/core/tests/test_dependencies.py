"""The dependency rule (docs/ARCHITECTURE.md), checked on the import graph.

rules → nothing in the project; core → rules; accounts → core, rules; domain apps → accounts,
core, rules (and other domain apps only through services/queries). Test support and the project
package (urls, api, settings) may import anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2]
ALLOWED = {
    "rules": set(),
    "core": {"rules"},
    "accounts": {"core", "rules"},
    "registry": {"accounts", "core", "rules"},
    "hazards": {"accounts", "core", "registry", "rules"},
    "people": {"accounts", "core", "registry", "rules"},
    "tipoffs": {"accounts", "core", "hazards", "registry", "rules"},
    "monitoring": {"accounts", "core", "hazards", "registry", "rules"},
}


def _project_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "minesafe" and len(parts) > 1:
                found.add(parts[1])
    return found


def test_apps_import_only_what_the_layering_allows() -> None:
    violations = []
    for app, allowed in ALLOWED.items():
        for path in (PACKAGE / app).rglob("*.py"):
            rel = path.relative_to(PACKAGE)
            if "tests" in rel.parts or "migrations" in rel.parts:
                continue
            if app == "core" and "testing" in rel.parts:
                continue  # the pytest plugin; imports nothing from the project
            bad = _project_imports(path) - allowed - {app}
            if bad:
                violations.append(f"{rel} imports {sorted(bad)}")
    assert not violations, "\n".join(violations)


def test_rules_have_no_django() -> None:
    for path in (PACKAGE / "rules").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import django" not in text and "from django" not in text, path
