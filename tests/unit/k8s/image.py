"""deploy/k8s/Dockerfile read as docker reads it: its instructions and stages, and
the build context that .dockerignore leaves."""

from __future__ import annotations

import re

from tests.unit.k8s.render import K8S, ROOT

DOCKERFILE = (K8S / "Dockerfile").read_text()


def instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip())
            for line in joined.splitlines() if line.strip() and not line.startswith("#")]


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for op, rest in instructions():
        if op == "FROM":
            found.append([])
        if found:
            found[-1].append((op, rest))
    return found


def build_args() -> dict[str, str]:
    return dict(rest.split("=", 1) for op, rest in instructions() if op == "ARG" and "=" in rest)


def ignore_patterns() -> list[tuple[bool, re.Pattern[str]]]:
    patterns = []
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        glob = line.lstrip("!").strip("/")
        regex = ""
        for part in re.split(r"(\*\*/|\*\*|\*|\?)", glob):
            regex += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(
                part, re.escape(part))
        patterns.append((negated, re.compile(regex)))
    return patterns


def excluded(path: str) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parent
    directories decides; `!` takes a path back in."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    decision = False
    for negated, pattern in ignore_patterns():
        if any(pattern.fullmatch(p) for p in prefixes):
            decision = not negated
    return decision
