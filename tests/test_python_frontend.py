"""Python is one more tree-sitter adapter: a scan of Python code never loads libcst."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import REPO

_SCAN = """
import contextlib, io, json, sys
from extractor.cli import main
out = io.StringIO()
sys.argv = ["contracts", "scan", sys.argv[1], "--format", "json", "--jobs", "1"]
with contextlib.redirect_stdout(out):
    try:
        main()
    except SystemExit:
        pass
facts = json.loads(out.getvalue())["facts"]
print(json.dumps({"python_facts": sum(f["file"].endswith(".py") for f in facts), "adapter": "extractor.frontends.treesitter.python" in sys.modules, "libcst": sorted(m for m in sys.modules if m == "libcst" or m.startswith("libcst."))}))
"""


def test_a_python_scan_never_imports_libcst():
    root = REPO / "fixtures" / "monorepos" / "fraud-detection"
    out = subprocess.run([sys.executable, "-c", _SCAN, str(root)], capture_output=True, text=True, cwd=REPO, check=True)
    got = json.loads(out.stdout)
    assert got["python_facts"] > 0 and got["adapter"] is True  # the Python files were analysed, by the tree-sitter adapter
    assert got["libcst"] == []
