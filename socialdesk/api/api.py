"""The NinjaAPI object: each app's router mounted under /api/v1/; OpenAPI docs at /api/docs."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest
from ninja import NinjaAPI, Router, Schema

from . import errors
from .auth import TokenAuth, VerifiedSessionAuth

api = NinjaAPI(
    title="SocialDesk API",
    version="1",
    description=(
        "SocialDesk 社福台 API. Authenticate with a personal API token "
        "(`Authorization: Bearer sd_…`, created under Account → API tokens) "
        "or the browser session. "
        'Errors always have the shape `{"error": {"code", "message", "details"}}`; send '
        "`Accept-Language: en` or `zh-Hant` for messages in that language."
    ),
    auth=[TokenAuth(), VerifiedSessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)

health_router = Router(tags=["system"])


class HealthOut(Schema):
    status: str
    database: str
    version: str


@health_router.get("/health", auth=None, response=HealthOut, summary="Service health")
def health(request: HttpRequest) -> HealthOut:
    """Answers without authentication; checks the database connection."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:  # pragma: no cover - depends on a broken database
        database = "unavailable"
    return HealthOut(
        status="ok" if database == "ok" else "degraded", database=database, version="1"
    )


def _mount() -> None:
    from socialdesk.cases.api import router as cases_router
    from socialdesk.core.api import router as core_router
    from socialdesk.performance.api import router as performance_router

    api.add_router("/v1/", health_router)
    api.add_router("/v1/", core_router)
    api.add_router("/v1/", cases_router)
    api.add_router("/v1/", performance_router)


_mount()
