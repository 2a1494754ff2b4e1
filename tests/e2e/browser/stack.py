"""A platform of the browser tests' own, for the tests and the screenshot script.

It has its own nats-server, so that its provisioner's and projection's durable consumers
are not shared with another platform of the session, and its own PostgreSQL cluster for the
tenant databases, which a test may stop to make provisioning fail. The read model lives
elsewhere (the caller's database), so the api keeps answering while that cluster is down.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from tenantctl.nats_server import NatsServer, temporary_nats_server
from tenantctl.postgres import PostgresCluster
from tests.e2e.harness import Platform

# Slow enough that a person (and the tests) see every stage; retries that end quickly.
BROWSER_ENV = {
    "PROVISIONER_STAGE_DELAY_SECONDS": "0.4",
    "PROVISIONER_BACKOFF_SECONDS": "0.2,0.3",
    "LOG_LEVEL": "INFO",
}


@dataclass
class BrowserStack:
    platform: Platform
    tenant_cluster: PostgresCluster
    nats: NatsServer


@contextmanager
def browser_stack(read_model_url: str | None = None,
                  extra_env: Mapping[str, str] | None = None) -> Iterator[BrowserStack]:
    """read_model_url None: a second cluster of its own holds the read model (the script)."""
    with temporary_nats_server("tp-browser-nats-") as nats:
        cluster = PostgresCluster.temporary().init().start()
        read_model_cluster = (None if read_model_url
                              else PostgresCluster.temporary().init().start())
        platform: Platform | None = None
        try:
            if read_model_cluster is not None:
                read_model_url = read_model_cluster.url("postgres")
            assert read_model_url is not None
            platform = Platform(
                nats_url=nats.url,
                nats_credentials=nats.auth,
                database_url=read_model_url,
                provisioner_database_url=cluster.url("postgres"),
                extra_env={**BROWSER_ENV, **(extra_env or {})},
            )
            platform.start()
            yield BrowserStack(platform=platform, tenant_cluster=cluster, nats=nats)
        finally:
            if platform is not None:
                platform.stop()
            for each in (cluster, read_model_cluster):
                if each is not None:
                    each.remove()
