"""The domain core imports nothing but the standard library, gateway.errors and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import gateway.domain

DOMAIN_DIR = Path(gateway.domain.__file__).parent
# rapidfuzz is pure computation (string similarity), not I/O: MedDRA coding and product
# matching need it. The I/O libraries the architecture forbids in the core stay forbidden.
ALLOWED_PREFIXES = ("gateway.errors", "gateway.domain", "rapidfuzz")
FORBIDDEN = (
    "aiokafka",
    "lxml",
    "fastavro",
    "aiosmtplib",
    "aiosmtpd",
    "twilio",
    "sqlalchemy",
    "fastapi",
    "httpx",
    "pydantic",
    "uvicorn",
    "psycopg",
)


def _imported_modules(source: str, module_package: str) -> list[str]:
    """Absolute names of every module a source file imports (relative ones resolved)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module_package.rsplit(".", node.level - 1)[0]
                names.append(f"{base}.{node.module}" if node.module else base)
            else:
                assert node.module is not None
                names.append(node.module)
    return names


def _is_allowed(module: str) -> bool:
    top = module.split(".")[0]
    if top in sys.stdlib_module_names:
        return True
    return any(module == p or module.startswith(p + ".") for p in ALLOWED_PREFIXES)


def _violations(source: str) -> list[str]:
    return [m for m in _imported_modules(source, "gateway.domain") if not _is_allowed(m)]


def test_domain_imports_no_io_library() -> None:
    modules = sorted(DOMAIN_DIR.rglob("*.py"))
    assert len(modules) >= 10, f"expected the domain modules under {DOMAIN_DIR}"
    found = {
        str(path.relative_to(DOMAIN_DIR)): bad
        for path in modules
        if (bad := _violations(path.read_text(encoding="utf-8")))
    }
    assert found == {}, f"domain modules import outside stdlib/gateway.errors: {found}"


def test_purity_check_flags_third_party_and_sibling_layers() -> None:
    """Guards the guard: the checker must notice the imports it exists to forbid."""
    source = (
        "import lxml.etree\n"
        "from pydantic import BaseModel\n"
        "from gateway.store import repo\n"
        "from . import values\n"
        "from gateway.errors import LifecycleError\n"
        "import decimal, __future__\n"
    )
    assert _violations(source) == ["lxml.etree", "pydantic", "gateway.store"]


def test_the_io_libraries_are_refused_by_the_check() -> None:
    """The check itself must catch what the architecture forbids."""
    for lib in FORBIDDEN:
        assert _violations(f"import {lib}\n") == [lib]
        assert _violations(f"from {lib} import x\n") == [lib]
