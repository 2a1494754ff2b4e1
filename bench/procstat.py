"""What the side-by-side benchmarks read from /proc and the shared tool paths."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

TOOLS = Path(__file__).resolve().parent / "tools" / "bin"


def tool(name: str) -> str:
    """A pinned tool bench/tools/install.sh built; it says how when one is missing."""
    path = TOOLS / name
    if not path.exists():
        raise SystemExit(f"{path} missing: run bench/tools/install.sh first")
    return str(path)


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def pin(pid: int, core: int) -> None:
    """Every thread of `pid` onto one core, so that the peers compared get the same CPU."""
    if os.cpu_count() and os.cpu_count() > 1 and shutil.which("taskset"):  # type: ignore[operator]
        subprocess.run(["taskset", "-a", "-pc", str(core), str(pid)], check=True,
                       stdout=subprocess.DEVNULL)


def load_average() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
