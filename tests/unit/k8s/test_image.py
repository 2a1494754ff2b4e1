"""The image: pinned base and uv, multi-stage, only runtime dependencies, non-root; and
a build context (.dockerignore) that keeps out what must never be in an image."""

from __future__ import annotations

import re

from tests.unit.k8s.image import DOCKERFILE, build_args, excluded, instructions, stages
from tests.unit.k8s.render import ROOT, SERVICES, workload

MUST_STAY_OUT = [".venv/bin/python", ".venv", "services/api/.venv/lib/x.py", ".git/HEAD",
                 ".data/jwt-secret", ".data/nats-auth.json", "tests/unit/k8s/test_image.py",
                 "tests/conftest.py", "bench/durability/sync_interval.py",
                 "docs/screenshot-provisioning.png",
                 "services/api/src/tenant_api/__pycache__/a.pyc",
                 ".pytest_cache/v/x", "deploy/tenantctl/src/tenantctl/cli.py", ".env"]


def test_base_image_and_uv_are_pinned_to_exact_versions() -> None:
    args = build_args()
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", args["BASE_IMAGE"])
    assert re.fullmatch(r"ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+", args["UV_IMAGE"])
    for _op, rest in instructions():
        assert "latest" not in rest, rest


def test_the_final_stage_has_the_venv_and_a_non_root_user_and_nothing_to_build_with() -> None:
    *builders, final = stages()
    assert len(builders) >= 1
    assert final[0] == ("FROM", "${BASE_IMAGE}")
    copies = [rest for op, rest in final if op == "COPY"]
    assert copies == ["--from=build /app/.venv /app/.venv"]
    (user,) = [rest for op, rest in final if op == "USER"]
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0
    for name in SERVICES:
        assert workload(name).pod["securityContext"]["runAsUser"] == int(uid), name
    (cmd,) = [rest for op, rest in final if op == "CMD"]
    assert cmd == '["python", "-m", "tenant_api"]'


def test_only_the_services_runtime_dependencies_are_installed() -> None:
    syncs = [rest for op, rest in instructions() if op == "RUN" and "uv sync" in rest]
    assert syncs
    for sync in syncs:
        assert "--frozen" in sync and "--no-dev" in sync
        packages = set(re.findall(r"--package (\S+)", sync))
        assert packages == {f"tenant-{s}" for s in SERVICES}, sync
    assert "COPY . ." not in DOCKERFILE


def test_the_build_context_keeps_out_what_must_never_be_in_an_image() -> None:
    for path in MUST_STAY_OUT:
        assert excluded(path), f"{path} would be sent to the image build"


def test_the_build_context_has_everything_the_dockerfile_copies() -> None:
    sources = []
    for op, rest in instructions():
        if op == "COPY" and not rest.startswith("--from"):
            sources += rest.split()[:-1]
    assert "uv.lock" in sources and "services/" in sources
    for source in sources:
        assert (ROOT / source).exists(), source
        assert not excluded(source.rstrip("/")), source
    for static in (ROOT / "services/api/src/tenant_api/static").iterdir():
        assert not excluded(str(static.relative_to(ROOT))), static.name


def test_the_matcher_reads_dockerignore_as_docker_does() -> None:
    assert excluded(".git") and excluded(".git/objects/ab/cd")
    assert not excluded("services/api/pyproject.toml")
    assert not excluded("gitignore-lookalike/.gitx")
