"""Build the API from Settings: services, dispatcher, routes, the published site."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from config.settings import Settings
from ingest.articles import router as articles_router
from ingest.errors import install_error_handlers
from ingest.headers import SecurityHeaders
from ingest.limits import BodyDeadline, BodySizeLimit
from ingest.live import StreamSeats, TickerWatch
from ingest.live import router as live_router
from ingest.metrics import OpsMetrics
from ingest.metrics import router as metrics_router
from ingest.ops import router as ops_router
from ingest.ratelimit import SlidingWindowLimiter
from ingest.reports import router as reports_router
from ingest.search import router as search_router
from ingest.site import PublishedSite
from ingest.site import router as site_router
from ingest.sources import router as sources_router
from ingest.token_cache import TokenCache
from pipeline.domain.models import Submission
from pipeline.services.runtime import build_services
from tasks.app import create_celery
from tasks.dispatch import Dispatcher
from tasks.events import TaskEvents, new_registry, receives_task_events
from tasks.inspection import QueueInspector
from tasks.outbox_sender import OutboxSender


def create_app(settings: Settings) -> FastAPI:
    services = build_services(settings)
    watch = TickerWatch(services.outputs)
    celery_app = create_celery(settings)
    events = TaskEvents(new_registry())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if receives_task_events(settings):
            events.watch(celery_app)
        yield
        app.state.outbox_sender.close()
        events.stop()
        await watch.stop()
        services.close()

    # /docs and /redoc load their scripts from a CDN: a production site serves no page that
    # pulls code from elsewhere (the schema stays at /openapi.json)
    browsable = settings.environment != "production"
    app = FastAPI(
        title="nashr",
        version="0.1.0",
        summary="Arabic news publishing on Celery",
        lifespan=lifespan,
        docs_url="/docs" if browsable else None,
        redoc_url="/redoc" if browsable else None,
    )
    app.state.settings = settings
    app.state.services = services
    app.state.articles = services.articles
    app.state.tokens = services.tokens
    app.state.reports = services.reports
    app.state.site = PublishedSite(
        services.outputs, services.pages, services.sitemaps, services.site
    )
    app.state.site_info = services.site
    app.state.ticker_watch = watch
    app.state.stream_seats = StreamSeats(settings.max_streams, settings.max_streams_per_address)
    app.state.report_limiter = SlidingWindowLimiter(settings.report_rate, window_seconds=60.0)
    app.state.search_limiter = SlidingWindowLimiter(settings.search_rate, window_seconds=60.0)
    app.state.dispatcher = Dispatcher(celery_app, settings)
    app.state.outbox_sender = OutboxSender(app.state.dispatcher, services.articles, settings)
    app.state.token_cache = TokenCache(settings.token_cache_seconds)
    app.state.inspector = QueueInspector(celery_app, settings, services, events)
    app.state.metrics = OpsMetrics(services, app.state.inspector, events)
    install_error_handlers(app)
    app.include_router(articles_router)
    app.include_router(live_router)
    app.include_router(reports_router)
    app.include_router(search_router)
    app.include_router(ops_router)
    app.include_router(sources_router)
    app.include_router(metrics_router)

    @app.get("/health")
    async def health(request: Request) -> JSONResponse:
        ok = await run_in_threadpool(request.app.state.articles.ping)
        return JSONResponse(
            {"status": "ok" if ok else "degraded", "database": "ok" if ok else "unreachable"},
            status_code=200 if ok else 503,
        )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            body = Submission.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(body.pop("$defs", {}))
            components["Submission"] = body
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.include_router(site_router)  # last: every path no route above took is the site's
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(BodyDeadline, seconds=settings.request_body_timeout_seconds)
    app.add_middleware(SecurityHeaders)
    return app
