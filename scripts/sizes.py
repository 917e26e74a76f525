#!/usr/bin/env python3
"""Size limits of the package's code, a gate of `make lint`: a module over 400 lines, a
function over 60 or a class over 200 is asking to be split. Statements that are data
(an assignment of a literal table) do not count towards their module."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MODULE, FUNCTION, CLASS = 400, 60, 200


def span(node: ast.AST) -> int:
    return int(getattr(node, "end_lineno", 0)) - int(getattr(node, "lineno", 0)) + 1


def is_table(node: ast.stmt) -> bool:
    value = getattr(node, "value", None)
    return isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(
        value, ast.Dict | ast.List | ast.Set | ast.Tuple
    )


def problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    lines = len(path.read_text().splitlines())
    code = lines - sum(span(node) for node in tree.body if is_table(node))
    if code > MODULE:
        found.append(f"{path}: {code} lines of code (at most {MODULE})")
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and span(node) > FUNCTION:
            found.append(f"{path}:{node.lineno}: {node.name} has {span(node)} lines ({FUNCTION})")
        if isinstance(node, ast.ClassDef) and span(node) > CLASS:
            found.append(f"{path}:{node.lineno}: {node.name} has {span(node)} lines ({CLASS})")
    return found


def main(roots: list[str]) -> int:
    found = [
        p for root in roots for path in sorted(Path(root).rglob("*.py")) for p in problems(path)
    ]
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["fitter"]))
