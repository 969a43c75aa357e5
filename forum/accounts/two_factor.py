"""Two-step sign-in: time-based codes (TOTP, RFC 6238) from an authenticator app, with
one-time recovery codes for a lost phone.

Turning it on is two steps: `new_secret` makes a secret that lives only in the
browser's signed session until `enable` sees a valid code for it, so a half-finished
set-up never locks anyone out. Each function that changes state commits once.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import time

import pyotp
import segno
from sqlalchemy import delete, select, update
from werkzeug.security import check_password_hash

from ..extensions import db
from ..models import RecoveryCode, User, utcnow

ISSUER = "MS Forum"
RECOVERY_CODE_COUNT = 10
# One step either side forgives a phone clock that is up to 30 seconds out.
DRIFT_STEPS = 1


class TwoFactorError(ValueError):
    """A code or password that cannot be accepted: {field: message}, safe to show."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


def new_secret() -> str:
    return pyotp.random_base32()


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to read and type into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_svg(uri: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=6, border=2,
                                    title="QR code for your authenticator app")
    return buffer.getvalue()


def _clean(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isalnum()).lower()


def _matching_step(secret: str, code: str, after: int | None) -> int | None:
    """The time step whose code this is, if it is recent and newer than `after`."""
    code = _clean(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = int(time.time()) // totp.interval
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _hash(code: str) -> str:
    return hashlib.sha256(_clean(code).encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(5)[:5]}-{secrets.token_hex(5)[:5]}"
             for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(c)) for c in codes)
    return codes


def _check_password(user: User, password: str) -> None:
    if not check_password_hash(user.password_hash or "", password or ""):
        raise TwoFactorError({"password": "That is not your current password."})


def enable(user: User, secret: str, code: str, password: str) -> list[str]:
    """Turn two-step sign-in on; returns the recovery codes, shown once."""
    _check_password(user, password)
    step = _matching_step(secret, code, None)
    if step is None:
        raise TwoFactorError({"code": "That code does not match. Check the time on your "
                                      "phone and type the newest six-digit code."})
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = _new_recovery_codes(user)
    db.session.commit()
    return codes


def verify(user: User, code: str) -> str | None:
    """Check a sign-in code: 'app' for an authenticator code, 'recovery' for a recovery
    code (which is then used up), None if neither. A code is accepted once only."""
    if not user.has_two_factor:
        return None
    step = _matching_step(user.totp_secret, code, user.totp_last_step)
    if step is not None:
        # Conditional, so two requests racing with one code cannot both succeed.
        claimed = db.session.execute(
            update(User).where(User.id == user.id, (User.totp_last_step.is_(None))
                               | (User.totp_last_step < step))
            .values(totp_last_step=step)
        ).rowcount
        db.session.commit()
        return "app" if claimed else None
    if len(_clean(code)) != 10:
        return None
    claimed = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                   RecoveryCode.code_hash == _hash(code),
                                   RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    db.session.commit()
    return "recovery" if claimed else None


def remaining_recovery_codes(user: User) -> int:
    return len(db.session.scalars(
        select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                      RecoveryCode.used_at.is_(None))
    ).all())


def _check_code(user: User, code: str) -> None:
    if verify(user, code) is None:
        raise TwoFactorError({"code": "That code does not match. Type the newest code from "
                                      "your app, or one of your recovery codes."})


def regenerate_recovery_codes(user: User, password: str, code: str) -> list[str]:
    _check_password(user, password)
    _check_code(user, code)
    codes = _new_recovery_codes(user)
    db.session.commit()
    return codes


def disable(user: User, password: str, code: str) -> None:
    _check_password(user, password)
    _check_code(user, code)
    turn_off(user)
    db.session.commit()


def turn_off(user: User) -> None:
    """Remove the secret and the recovery codes; the caller commits."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
