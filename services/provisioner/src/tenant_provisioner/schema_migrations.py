"""The tenant schema migrations shipped in this package, in the order they apply."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def parse_migration_name(filename: str) -> tuple[int, str]:
    """'0002_settings.sql' -> (2, 'settings')."""
    stem, dot, ext = filename.partition(".")
    number, underscore, name = stem.partition("_")
    if ext != "sql" or not dot or not underscore or not number.isdigit() or not name:
        raise ValueError(f"migration files are named NNNN_name.sql, not {filename!r}")
    return int(number), name


@cache
def migrations() -> tuple[Migration, ...]:
    folder = resources.files("tenant_provisioner") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version, name = parse_migration_name(entry.name)
            found.append(Migration(version, name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"duplicate migration versions: {versions}")
    return tuple(found)
