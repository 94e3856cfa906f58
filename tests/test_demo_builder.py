"""The demo builder is a tool (tools/), not runtime code; every catalogue is data."""
from __future__ import annotations

import ast
import json
from pathlib import Path

from lib.sandbox import DEMO_PRODUCTS, DEMO_TITLES
from lib.sandbox.gateway import FIXTURES
from tools import build_demo

ROOT = Path(__file__).resolve().parents[1]


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_runtime_never_imports_the_tools():
    offenders = [str(path.relative_to(ROOT)) for folder in ("lib", "views")
                 for path in (ROOT / folder).rglob("*.py")
                 if any(m == "tools" or m.startswith("tools.") for m in _imported_modules(path))]
    offenders += ["app.py"] if "tools" in {m.split(".")[0] for m in
                                          _imported_modules(ROOT / "app.py")} else []
    assert offenders == []


def test_builder_output_matches_the_committed_fixtures():
    """Deterministic: what the builder would write is byte-for-byte what is committed."""
    for product_id, response in build_demo.build_fixtures().items():
        committed = (build_demo.FIXTURE_DIR / f"{product_id}.json").read_text(encoding="utf-8")
        assert json.dumps(response, indent=1, ensure_ascii=False) + "\n" == committed


def test_every_platform_lists_its_demo_products_in_a_catalogue_file():
    for platform_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        entries = json.loads((platform_dir / "catalogue.json").read_text(encoding="utf-8"))
        assert entries, platform_dir.name
        for entry in entries:
            key = f"{platform_dir.name}:{entry['product_id']}"
            assert DEMO_TITLES[key] == entry["title"]
            assert (platform_dir / f"{entry['product_id']}.json").is_file()
    aliexpress = [q.product_id for q in DEMO_PRODUCTS if q.platform == "aliexpress"]
    assert aliexpress == [e["product_id"] for e in build_demo.DEMO_CATALOGUE]
