"""Operational and SPA-support routes: health, readiness, metrics, config, the rules the
SPA applies (vocabulary), dev sign-in."""

from __future__ import annotations

from litestar import MediaType, Response, Router, get, post
from litestar.datastructures import State
from litestar.params import JSONBody

from tenant_api.auth import issue_dev_token
from tenant_api.metrics import CONTENT_TYPE, Metrics
from tenant_api.problems import problem_response, problem_specs
from tenant_api.runtime import Runtime
from tenant_api.settings import Settings
from tenant_api.vocabulary import Vocabulary, vocabulary
from tenant_api.wire import ClientConfig, DevToken, DevTokenRequest, Health


@get("/healthz", tags=["operations"], summary="Liveness: the process answers")
async def healthz() -> Health:
    return Health(status="ok")


@get("/readyz", tags=["operations"], responses=problem_specs(503),
     summary="Readiness: NATS, the stream and PostgreSQL answer, and the read model follows")
async def readyz(state: State) -> Response[Health] | Response[bytes]:
    runtime: Runtime = state.runtime
    problems = await runtime.readiness()
    if not any(problems.values()):
        return Response(Health(status="ready", checks=dict.fromkeys(problems, True)))
    waiting = "; ".join(f"{name}: {why}" for name, why in problems.items() if why)
    return problem_response(503, f"not ready: waiting for {waiting}", kind="not-ready")


@get("/metrics", tags=["operations"], media_type=CONTENT_TYPE,
     summary="Prometheus metrics (text exposition format)")
async def metrics(state: State) -> Response[bytes]:
    registry: Metrics = state.metrics
    return Response(registry.render(), media_type=CONTENT_TYPE)


@get("/config.json", tags=["spa"], summary="Where the SPA finds the notifier")
async def client_config(state: State) -> ClientConfig:
    settings: Settings = state.settings
    return ClientConfig(notifier_url=settings.notifier_public_url,
                        dev_tokens=settings.dev_tokens)


@get("/api/v1/vocabulary", tags=["spa"],
     summary="The lifecycle table, plans, stages and field rules, as contracts define them",
     description="Statuses; which request a tenant accepts in which status, which pending "
                 "requests it may overtake and which events take a pending request up; "
                 "plans; provisioning stages in order; the create form's field rules. "
                 "The SPA loads it once at start instead of keeping copies. No token needed.")
async def vocabulary_route() -> Vocabulary:
    return vocabulary()


@post("/api/v1/dev/token", tags=["spa"], media_type=MediaType.JSON, status_code=200,
      responses=problem_specs(400, 413, 422),
      summary="A 1 h token for local sign-in (only with DEV_TOKENS=1)")
async def dev_token(data: JSONBody[DevTokenRequest], state: State) -> DevToken:
    settings: Settings = state.settings
    return DevToken(token=issue_dev_token(settings.jwt, data.sub, data.roles))


def ops_router(settings: Settings) -> Router:
    handlers = [healthz, readyz, metrics, client_config, vocabulary_route]
    if settings.dev_tokens and settings.jwt.secret:
        handlers.append(dev_token)  # absent otherwise: a plain 404
    return Router(path="/", route_handlers=handlers)
