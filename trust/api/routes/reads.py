"""``GET /v1/accounts/{id}/enforcement`` and ``GET /v1/cases/{id}``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from trust.api.auth import scoped
from trust.api.problems import ProblemError, problems
from trust.api.routes.decisions import EventId
from trust.api.schemas import CaseOut, EnforcementOut
from trust.cases.case import load_case
from trust.errors import CaseError
from trust.store import snapshot
from trust.store.api_keys import ApiKey
from trust.store.enforcements import current_enforcement

router = APIRouter(prefix="/v1", tags=["accounts and cases"])
CaseId = Annotated[int, Path(ge=1, le=2**62)]


@router.get(
    "/accounts/{account_id}/enforcement",
    response_model=EnforcementOut,
    summary="The enforcement in force on an account",
    responses=problems(401, 403, 422, 429, 503),
)
def get_enforcement(
    request: Request, account_id: EventId, _key: Annotated[ApiKey, Depends(scoped("accounts:read"))]
) -> EnforcementOut:
    """``none`` for an account never enforced against (or unknown to the pipeline)."""
    with snapshot(request.app.state.api.store.engine) as conn:
        current = current_enforcement(conn, account_id)
    if current is None:
        return EnforcementOut(account_id=account_id, state="none")
    return EnforcementOut(
        account_id=account_id,
        state=current.state.value,
        since=current.since,
        source=current.source.value,
        reason=current.reason,
    )


@router.get(
    "/cases/{case_id}",
    response_model=CaseOut,
    summary="A case and its outcome",
    responses=problems(401, 403, 404, 422, 429, 503),
)
def get_case(
    request: Request, case_id: CaseId, _key: Annotated[ApiKey, Depends(scoped("cases:read"))]
) -> CaseOut:
    """Status, outcome and reason code of a case (no staff names, no evidence)."""
    with snapshot(request.app.state.api.store.engine) as conn:
        try:
            case = load_case(conn, case_id)
        except CaseError as exc:
            raise ProblemError(404, f"no case {case_id}") from exc
    resolution = case.resolution or {}
    return CaseOut(
        id=case.id,
        subject_id=case.subject_id,
        kind=case.kind,
        status=case.status.value,
        risk_score=case.risk_score,
        opened_at=case.opened_at,
        resolved_at=case.resolved_at,
        label=case.label,
        action=resolution.get("action"),
        reason_code=resolution.get("reason_code"),
    )
