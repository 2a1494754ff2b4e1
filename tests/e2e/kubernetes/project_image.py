"""The project's image, built from deploy/k8s/Dockerfile as users build it, with
the two build arguments pointing at local images instead of public ones:
BASE_IMAGE a Debian bookworm (Python 3.11, as python:3.11-slim-bookworm) made by
mmdebstrap from the package mirror, UV_IMAGE an image of this machine's `uv` (the
same version the Dockerfile pins). podman builds it; containerd gets it as an OCI
archive. Debian base and podman's layer cache are kept between runs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.e2e.kubernetes.images import write_image

ROOT = Path(__file__).resolve().parents[3]
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tenant-platform"
BASE_ARCHIVE = CACHE / "debian-bookworm-python3.tar"
BASE_IMAGE = "localhost/debian-bookworm-python3:12"
UV_IMAGE = "localhost/uv:0.13.9"  # the Dockerfile's pin (ghcr.io/astral-sh/uv:0.13.9)
PROJECT_IMAGE = "testbed.local/tenant-platform:test"


# podman's state in memory, the same paths every run: its database remembers the
# paths of its first run and would recreate them (a run's directory) ever after.
PODMAN_RUN = Path("/run/tenant-platform-podman")


def podman_env(workdir: Path) -> dict[str, str]:
    """podman with its own store (in the cache) and the settings this machine needs:
    runc (crun refuses the hybrid cgroups), cgroupfs (no systemd), bounded ulimits."""
    conf, storage = workdir / "containers.conf", workdir / "storage.conf"
    conf.write_text('[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n'
                    'netns = "host"\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n'
                    f'events_logger = "file"\ntmp_dir = "{PODMAN_RUN}/tmp"\n')
    storage.write_text(f'[storage]\ndriver = "overlay"\ngraphroot = "{CACHE}/podman/store"\n'
                       f'runroot = "{PODMAN_RUN}/run"\n')
    return {**os.environ, "CONTAINERS_CONF": str(conf), "CONTAINERS_STORAGE_CONF": str(storage)}


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    out = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")


def build_project_image(workdir: Path) -> Path:
    """The OCI archive of the project's image."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = podman_env(workdir)
    if not BASE_ARCHIVE.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = BASE_ARCHIVE.with_suffix(".partial")
        _run(["mmdebstrap", "--variant=minbase", "--include=python3", "--format=tar",
              "bookworm", str(partial), "http://deb.debian.org/debian"], env, "mmdebstrap")
        partial.rename(BASE_ARCHIVE)
    # Imported once: a new import is a new base, and podman's layer cache starts over.
    if subprocess.run(["podman", "image", "exists", BASE_IMAGE], env=env).returncode != 0:
        _run(["podman", "import", str(BASE_ARCHIVE), BASE_IMAGE], env, "podman import")
    uv = shutil.which("uv")
    assert uv, "uv is on PATH (./platform test puts it there)"
    if subprocess.run(["podman", "image", "exists", UV_IMAGE], env=env).returncode != 0:
        archive = write_image(workdir, UV_IMAGE, {"uv": Path(uv)}, ["/uv"])
        _run(["podman", "load", "-i", str(archive)], env, "podman load")
    extra = []
    if os.environ.get("SSL_CERT_FILE"):
        # A machine behind a TLS-inspecting proxy: uv inside the build trusts the CAs
        # the host trusts (mounted for the RUN steps only; not in the image).
        uv_toml = workdir / "uv.toml"
        uv_toml.write_text("system-certs = true\n")
        extra = ["-v", f"{os.environ['SSL_CERT_FILE']}:/etc/ssl/certs/ca-certificates.crt:ro",
                 "-v", f"{uv_toml}:/etc/uv/uv.toml:ro"]
    _run(["podman", "build", "--network", "host", *extra,
          "--build-arg", f"BASE_IMAGE={BASE_IMAGE}", "--build-arg", f"UV_IMAGE={UV_IMAGE}",
          "-f", str(ROOT / "deploy" / "k8s" / "Dockerfile"), "-t", PROJECT_IMAGE, str(ROOT)],
         env, "podman build")
    archive = workdir / "tenant-platform.tar"
    _run(["podman", "save", "--format", "oci-archive", "-o", str(archive), PROJECT_IMAGE],
         env, "podman save")
    return archive
