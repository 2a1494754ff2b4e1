"""The intake's limit: a bare Litestar app that decodes the same body, served by
uvicorn with the api's own server settings (run by intake.py, not by hand).

    python bench/api/bare_app.py PORT
"""

from __future__ import annotations

import sys
from typing import cast

import uvicorn
from litestar import Litestar, get, post

from tenant_api.http_limits import guarded_http_protocol
from tenant_api.wire import CreateTenant
from tenant_contracts.http_limits import HttpLimits


@post("/api/v1/tenants", status_code=202)
async def create(data: CreateTenant) -> dict[str, str]:
    return {"slug": data.slug, "status": "requested"}


@get("/healthz")
async def healthz() -> str:
    return "ok"


def main() -> None:
    limits = HttpLimits()
    uvicorn.run(Litestar([create, healthz]), host="127.0.0.1", port=int(sys.argv[1]),
                log_config=None, log_level="warning", access_log=False, proxy_headers=True,
                server_header=False,
                http=guarded_http_protocol(limits), ws="none",
                timeout_keep_alive=cast(int, limits.idle_timeout))


if __name__ == "__main__":
    main()
