"""A FastAPI model app served by uvicorn in a thread (127.0.0.1, free port): the real libraries'
auth (``HTTPBearer``), CORS (Starlette ``CORSMiddleware``) and OpenAPI, configured the way the
flaws appear in the wild. Import only after ``pytest.importorskip("fastapi")``.

No ``from __future__ import annotations`` here: FastAPI resolves the route annotations at run
time.
"""

import contextlib
import hmac
import threading
import time
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException
from fastapi.middleware.cors import CORSMiddleware
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from tests.probes import servers

API_KEY = "stack-test-key-9e8d7c6b5a4f"
TEMPLATE = '{"instances": [[0.5, 1.5, 2.5]]}'
_BEARER = HTTPBearer(auto_error=True)


def require_key(credentials: HTTPAuthorizationCredentials = Depends(_BEARER)) -> None:  # noqa: B008
    """FastAPI's own Bearer parsing, then a constant-time key comparison."""
    if not hmac.compare_digest(credentials.credentials.encode(), API_KEY.encode()):
        raise HTTPException(status_code=401, detail="invalid credentials")


class Batch(BaseModel):
    """A batch of at most 64 rows of numbers."""

    model_config = ConfigDict(extra="forbid", strict=True)
    instances: list[list[Annotated[float, Field(allow_inf_nan=False)]]] = Field(
        min_length=1, max_length=64
    )


def score(batch: Batch) -> dict[str, list[str]]:
    """The model: a fixed rule per row."""
    return {"labels": ["high" if sum(r) > 4 else "low" for r in batch.instances]}


def build_app(
    *, cors_any_origin: bool = False, unauthenticated_v1: bool = False, docs: bool = False
) -> FastAPI:
    """The app; each flag switches on one real-world misconfiguration."""
    kwargs: dict[str, Any] = (
        {} if docs else {"docs_url": None, "redoc_url": None, "openapi_url": None}
    )
    app = FastAPI(title="stack", **kwargs)
    secured = APIRouter(dependencies=[Depends(require_key)])
    secured.post("/predict")(score)
    app.include_router(secured)
    if unauthenticated_v1:
        # The "versioned" router was added later and nobody attached the auth dependency.
        legacy = APIRouter()
        legacy.post("/predict")(score)
        app.include_router(legacy, prefix="/v1")
    if cors_any_origin:
        app.add_middleware(
            CORSMiddleware,
            allow_origin_regex=".*",
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    else:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=["https://app.example.com"],
            allow_credentials=True,
            allow_methods=["POST"],
            allow_headers=["authorization", "content-type"],
        )
    return app


@contextlib.contextmanager
def serve(app: Any) -> Iterator[int]:
    """Run ``app`` with uvicorn in a thread; yields the port; stops the server on exit."""
    import uvicorn

    port = servers.free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)
