"""Expert verification: a member asks to be shown as a verified expert, with
credentials an admin checks against a professional register; the admin approves,
declines or later revokes it."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import ExpertVerification, User, VerificationStatus, utcnow
from . import mail


def pending_verification(user: User) -> ExpertVerification | None:
    return db.session.scalar(
        select(ExpertVerification).where(
            ExpertVerification.user_id == user.id,
            ExpertVerification.status == VerificationStatus.PENDING,
        )
    )


def verification_details(user: User) -> ExpertVerification | None:
    """What the request form starts from: the pending request, else the approved one."""
    return pending_verification(user) or user.verification


def request_verification(
    user: User, *, credentials: str, affiliation: str, register_name: str,
    register_number: str, evidence_url: str,
) -> ExpertVerification:
    """A first request, a correction of a pending one, or (for a verified expert) new
    credentials or affiliation: a new pending request, while the approved one keeps the
    badge and the checked details on show until an admin decides.

    Each detail is named: only these five columns are the applicant's to write."""
    request = pending_verification(user) or ExpertVerification(user=user)
    request.credentials = (credentials or "").strip()
    request.affiliation = (affiliation or "").strip()
    request.register_name = (register_name or "").strip()
    request.register_number = (register_number or "").strip()
    request.evidence_url = (evidence_url or "").strip()
    request.requested_at = utcnow()
    db.session.add(request)
    db.session.commit()
    return request


def verification_queue() -> list[ExpertVerification]:
    return db.session.scalars(
        select(ExpertVerification)
        .where(ExpertVerification.status == VerificationStatus.PENDING)
        .order_by(ExpertVerification.requested_at)
    ).all()


def decide_verification(
    request: ExpertVerification, admin: User, approve: bool, reason: str,
    checked_register: bool, checked_number: bool, checked_link: bool,
) -> None:
    request.decided_at = utcnow()
    request.decided_by = admin
    request.decision_reason = reason.strip()
    request.checked_register = checked_register
    request.checked_number = checked_number
    request.checked_link = checked_link
    user = request.user
    if approve:
        # At most one approved verification: a new approval replaces the old one.
        for old in db.session.scalars(select(ExpertVerification).where(
            ExpertVerification.user_id == user.id,
            ExpertVerification.status == VerificationStatus.APPROVED,
        )):
            old.status = VerificationStatus.REVOKED
        request.status = VerificationStatus.APPROVED
        user.credentials, user.affiliation = request.credentials, request.affiliation
    else:
        request.status = VerificationStatus.DECLINED
    mail.queue(user, "verification", request=request)
    db.session.commit()
    mail.send_queued()


def revoke_verification(user: User, admin: User, reason: str) -> bool:
    current = user.verification
    if current is None:
        return False
    current.status = VerificationStatus.REVOKED
    current.decided_by = admin
    current.decided_at = utcnow()
    current.decision_reason = reason.strip()
    db.session.commit()
    db.session.expire(user, ["verification"])
    return True
