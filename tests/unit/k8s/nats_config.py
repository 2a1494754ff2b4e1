"""The rendered NATS configuration, read back: its files, its settings, its users, and a
copy laid out in a directory for `nats-server -t` (or a real run)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.unit.k8s.certs import write_nats_tls
from tests.unit.k8s.render import Obj, by_kind, workload

# Where the StatefulSet mounts what the config names; a local copy swaps each for a
# directory of its own.
MOUNTS = {"/etc/nats/": "config", "/etc/nats-tls/": "tls", "/var/run/nats/": "pid",
          "/data/": "data"}
SIZE_UNITS = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}  # read as binary: the larger


def files() -> dict[str, str]:
    (config_map,) = [c for name, c in by_kind("ConfigMap").items()
                     if name.startswith("nats-config-")]
    return dict(config_map["data"])


def text() -> str:
    return "\n".join(files().values())


def setting(name: str, conf: str | None = None) -> str:
    """The first `name: value` in the config (comments stripped)."""
    for line in (conf if conf is not None else text()).splitlines():
        line = line.split("#", 1)[0].strip()
        match = re.fullmatch(rf"{re.escape(name)}\s*[:=]\s*(.+)", line)
        if match:
            return match.group(1).strip()
    raise KeyError(name)


def block(name: str, conf: str | None = None) -> str:
    """The text of `name { ... }`, braces balanced."""
    source = conf if conf is not None else text()
    start = re.search(rf"(?m)^\s*{re.escape(name)}\s*\{{", source)
    if start is None:
        raise KeyError(name)
    depth, index = 0, start.end() - 1
    for index in range(start.end() - 1, len(source)):
        depth += {"{": 1, "}": -1}.get(source[index], 0)
        if depth == 0:
            break
    return source[start.end():index]


def size_bytes(value: str) -> int:
    match = re.fullmatch(r"(\d+)\s*([KMGT])?i?B?", value.strip(), re.IGNORECASE)
    assert match, f"not a size: {value!r}"
    return int(match.group(1)) * SIZE_UNITS.get((match.group(2) or "").upper(), 1)


def seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)(ms|s|m|h)", value.strip())
    assert match, f"not a duration: {value!r}"
    return int(match.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[match.group(2)]


@dataclass(frozen=True)
class User:
    name: str
    password: str  # as written: a $VARIABLE
    permissions: dict[str, Any]

    def allowed(self, direction: str) -> set[str]:
        return set(self.permissions.get(direction, {}).get("allow", []))


def users() -> dict[str, User]:
    found = {}
    for match in re.finditer(r'\{user: "([^"]+)", password: (\S+), permissions: (\{.*\})\}',
                             block("authorization")):
        found[match.group(1)] = User(match.group(1), match.group(2),
                                     json.loads(match.group(3)))
    return found


def nats_container() -> Obj:
    (container,) = workload("nats").pod["containers"]
    return container


def container_env(pod_name: str = "nats-0") -> dict[str, str]:
    """The container's environment with a dummy value for each Secret key."""
    env = {}
    for item in nats_container()["env"]:
        source = item.get("valueFrom", {})
        if "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            # Shaped like `openssl rand -base64 32` (+ / =): nats-server parses a
            # variable's value as a config value, and such a password must survive it.
            env[item["name"]] = f"dummy+{ref['name']}/{ref['key']}=="
        elif source.get("fieldRef", {}).get("fieldPath") == "metadata.name":
            env[item["name"]] = pod_name
        else:
            env[item["name"]] = item["value"]
    return env


def lay_out(directory: Path, ports: dict[int, int] | None = None,
            routes: dict[str, str] | None = None,
            tls_dir: Path | None = None) -> Path:
    """The config files with every mount path moved under `directory`, dummy TLS files
    made for the pods' names (and 127.0.0.1), and each port in `ports` (4222, 6222,
    8222) swapped for a free one, each route host in `routes` (nats-0.nats...) for
    another address; TLS files from `tls_dir` when given (one CA for a whole
    cluster); returns the main config's path."""
    mounted = {path: directory / name for path, name in MOUNTS.items()}
    for path in mounted.values():
        path.mkdir(parents=True, exist_ok=True)
    if tls_dir is None:
        write_nats_tls(mounted["/etc/nats-tls/"], ["nats-0.nats", "nats-1.nats",
                                                   "nats-2.nats", "localhost"])
    else:
        mounted["/etc/nats-tls/"] = tls_dir
    for name, content in files().items():
        for mount, local in mounted.items():
            content = content.replace(mount, f"{local}/")
        for host, address in (routes or {}).items():
            content = content.replace(f"//{host}:6222", f"//{address}")
        for port, free in (ports or {}).items():
            content = re.sub(rf"(?m)^(\s*(?:http_)?port: ){port}\b", rf"\g<1>{free}", content)
        (mounted["/etc/nats/"] / name).write_text(content)
    return mounted["/etc/nats/"] / "nats.conf"
