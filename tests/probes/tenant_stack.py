"""A multi-tenant FastAPI scoring service (uvicorn in a thread, 127.0.0.1) for the auxiliary-
route, tenant-isolation and fail-safe probes. Each flag switches on one real-world flaw.
Import only after ``pytest.importorskip("fastapi")``.

No ``from __future__ import annotations``: FastAPI resolves the route annotations at run time.
"""

import asyncio
import hmac
import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

TOKENS = {"acme": "tok-acme-5b1f0e7c9d2a4e61", "globex": "tok-globex-8c3d6a2f1e9b7d05"}
TEMPLATE = '{"instances": [[0.9, 0.1, 0.8, 0.2, 0.7, 0.1]]}'
_BEARER = HTTPBearer(auto_error=True)
W = (3.0, -2.0, 1.5, 0.0, 1.0, -1.0)


def tenant_of(credentials: HTTPAuthorizationCredentials = Depends(_BEARER)) -> str:  # noqa: B008
    """The tenant whose token this is (constant-time comparison)."""
    for tenant, token in TOKENS.items():
        if hmac.compare_digest(credentials.credentials.encode(), token.encode()):
            return tenant
    raise HTTPException(status_code=401, detail="invalid credentials")


class Batch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    instances: list[list[Annotated[float, Field(allow_inf_nan=False)]]] = Field(
        min_length=1, max_length=64
    )


def _score(row: list[float]) -> float:
    z = sum(w * (x - 0.5) for w, x in zip(W, row, strict=False))
    return 1 / (1 + math.exp(-max(-50.0, min(50.0, z))))


async def _model(batch: Batch, fault: str | None) -> list[float]:
    if fault == "model-error":
        raise RuntimeError("CUDA error: an illegal memory access was encountered")
    if fault and fault.startswith("delay"):
        await asyncio.sleep(0.5)
    return [_score(r) for r in batch.instances]


def build_app(
    *,
    failsafe: bool = True,
    open_explain: bool = False,
    open_metrics: bool = False,
    isolated: bool = True,
    extra_route: bool = False,
) -> FastAPI:
    app = FastAPI(title="credit-scoring", docs_url=None, redoc_url=None, openapi_url=None)
    secured = APIRouter(dependencies=[Depends(tenant_of)])
    public = APIRouter()

    async def predict(
        batch: Batch, x_fault_inject: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        if not failsafe:
            scores = await _model(batch, x_fault_inject)  # a model error becomes a 500
            return {"predictions": [
                {"score": s, "decision": "approve" if s > 0.5 else "decline"} for s in scores
            ]}  # fmt: skip
        try:
            scores = await asyncio.wait_for(_model(batch, x_fault_inject), timeout=0.2)
        except (RuntimeError, TimeoutError):
            return {
                "predictions": [
                    {"score": None, "decision": "refer_to_human", "reason": "model unavailable"}
                ]
                * len(batch.instances)
            }
        out = []
        for row, s in zip(batch.instances, scores, strict=True):
            if any(not 0.0 <= v <= 1.0 for v in row):
                out.append({"score": None, "decision": "refer_to_human", "reason": "ood"})
            elif abs(s - 0.5) < 0.1:
                out.append({"score": s, "decision": "refer_to_human", "reason": "low confidence"})
            else:
                out.append({"score": s, "decision": "approve" if s > 0.5 else "decline"})
        return {"predictions": out}

    async def explain(batch: Batch) -> dict[str, Any]:
        row = batch.instances[0]
        return {"attributions": [w * (x - 0.5) for w, x in zip(W, row, strict=False)]}

    async def metadata() -> dict[str, Any]:
        return {"name": "credit", "versions": ["6", "7"], "inputs": 6}

    async def metrics() -> str:
        return 'model_requests_total{model="credit",version="7"} 1842\n'

    async def health() -> dict[str, str]:
        return {"status": "ok"}

    async def tenant_predict(
        tenant: str, batch: Batch, caller: Annotated[str, Depends(tenant_of)]
    ) -> dict[str, Any]:
        if isolated and caller != tenant:
            raise HTTPException(status_code=404, detail="no such model")
        return {"tenant": tenant, "scores": [_score(r) for r in batch.instances]}

    async def tenant_result(
        tenant: str, rid: str, caller: Annotated[str, Depends(tenant_of)]
    ) -> dict[str, Any]:
        if isolated and caller != tenant:
            raise HTTPException(status_code=404, detail="no such result")
        return {"tenant": tenant, "id": rid, "score": 0.83}

    secured.post("/v1/models/credit:predict")(predict)
    (public if open_explain else secured).post("/v1/models/credit:explain")(explain)
    secured.get("/v1/models/credit")(metadata)
    (public if open_metrics else secured).get("/metrics")(metrics)
    public.get("/healthz")(health)
    if extra_route:
        secured.post("/v1/models/credit:embeddings")(explain)
        secured.post("/v1/embeddings")(explain)
    app.include_router(secured)
    app.include_router(public)
    app.post("/t/{tenant}/models/credit:predict")(tenant_predict)
    app.get("/t/{tenant}/results/{rid}")(tenant_result)
    return app
