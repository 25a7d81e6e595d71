# The protocol package must stay free of I/O and of the server core, so it can be tested with plain
# bytes and reused anywhere. Checked on the source with ast (importing pynatsd would pull in the
# core through the package __init__), resolving relative imports too.
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pynatsd.protocol

FORBIDDEN = ("asyncio", "socket", "pynatsd.core")
PROTOCOL_DIR = Path(pynatsd.protocol.__file__).parent
SRC_ROOT = PROTOCOL_DIR.parent.parent
MODULES = sorted(PROTOCOL_DIR.rglob("*.py"))


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(path: Path, root: Path) -> set[str]:
    """Every module a file imports, as absolute dotted names (plus `pkg.name` for from-imports)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module = module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base = ".".join(base_parts[: len(base_parts) - (node.level - 1)])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "__import__"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return names


def forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def test_protocol_modules_found() -> None:
    names = {p.name for p in MODULES}
    assert {"__init__.py", "parser.py", "encode.py", "subject.py", "errors.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_io_or_core_imports(path: Path) -> None:
    bad = sorted(n for n in imported_names(path, SRC_ROOT) if forbidden(n))
    assert not bad, f"{path.name} imports {bad}"


def test_checker_sees_every_import_form(tmp_path: Path) -> None:
    pkg = tmp_path / "pynatsd" / "protocol"
    pkg.mkdir(parents=True)
    sample = pkg / "sample.py"
    sample.write_text(
        "import asyncio.events\n"
        "from socket import socket\n"
        "from ..core import sublist\n"
        "from .. import core\n"
        "from .subject import tokenize\n"
        "def f():\n"
        "    from pynatsd.core.client import X\n"
        "    return __import__('asyncio')\n"
    )
    names = imported_names(sample, tmp_path)
    assert {
        "asyncio.events",
        "socket",
        "pynatsd.core",
        "pynatsd.core.sublist",
        "pynatsd.core.client",
        "asyncio",
        "pynatsd.protocol.subject",
    } <= names
    flagged = {n for n in names if forbidden(n)}
    assert {"asyncio.events", "socket", "pynatsd.core.sublist", "pynatsd.core.client", "asyncio"} <= flagged
    assert not forbidden("pynatsd.protocol.subject")
    assert not forbidden("pynatsd.coreutils")
    assert not forbidden("socketserver_like")
