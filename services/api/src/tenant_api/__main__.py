"""`python -m tenant_api`: serve the api with uvicorn (SIGTERM drains, then exits)."""

from __future__ import annotations

import logging
from typing import cast

import uvicorn

from tenant_api.app import create_app
from tenant_api.http_limits import guarded_http_protocol
from tenant_api.settings import Settings
from tenant_stream.logs import settings_or_exit

log = logging.getLogger("tenant_api")


def main() -> None:
    settings = settings_or_exit("tenant_api", Settings.from_env)
    # log_config=None: uvicorn's own loggers (errors, access lines) reach the JSON root
    # handler instead of the text handlers uvicorn would install.
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port,
                log_config=None, log_level=settings.log_level.lower(),
                # No access line per request: a log write per POST costs more than the
                # request's own work; requests are counted and timed by the metrics
                # middleware and traced (tenant_api.tracing) instead.
                access_log=False,
                timeout_graceful_shutdown=10, proxy_headers=True, server_header=False,
                # Header size and read time are enforced by our protocol class; the idle
                # keep-alive timeout is uvicorn's own (typed int, used as a float delay).
                http=guarded_http_protocol(settings.http), ws="none",
                timeout_keep_alive=cast(int, settings.http.idle_timeout))


if __name__ == "__main__":
    main()
