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
from flask import current_app
from sqlalchemy import delete, select, update
from werkzeug.security import check_password_hash

from .. import mail
from ..extensions import db
from ..models import RecoveryCode, User, utcnow
from . import sessions

ISSUER = "MS Forum"
RECOVERY_CODE_COUNT = 10
# Twelve base-32 characters (60 bits), shown as three groups of four.
RECOVERY_CODE_LENGTH = 12
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
    # ASCII only: "١٢٣٤٥٦" passes isdigit() but is no code (and compare_digest refuses it).
    return "".join(ch for ch in (code or "") if ch.isascii() and ch.isalnum()).lower()


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
    # Keyed with the app's secret: a copy of the database alone (a leaked backup) is
    # not enough to try codes against. Changing SECRET_KEY retires every code.
    key = hashlib.sha256(b"recovery-codes:" + current_app.secret_key.encode()).digest()
    return hmac.new(key, _clean(code).encode(), hashlib.sha256).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(alphabet) for _ in range(RECOVERY_CODE_LENGTH))
        codes.append("-".join(raw[i:i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4)))
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(c)) for c in codes)
    return codes


def _tell(user: User, what: str, reason: str = "") -> None:
    """Every change to how an account signs in is mailed to its owner, who may not
    be the one who made it."""
    if user.email:
        mail.queue(user, "security", what=what, reason=reason)


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
    # Browsers signed in with the password alone are signed out.
    sessions.end_other_sessions(user)
    _tell(user, "two-step sign-in was turned on")
    db.session.commit()
    mail.send_queued()
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
    if len(_clean(code)) != RECOVERY_CODE_LENGTH:
        return None
    claimed = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                   RecoveryCode.code_hash == _hash(code),
                                   RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if claimed:
        _tell(user, "a recovery code was used to sign in")
    db.session.commit()
    mail.send_queued()
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
    _tell(user, "new recovery codes were made, and the old ones stopped working")
    db.session.commit()
    mail.send_queued()
    return codes


def disable(user: User, password: str, code: str) -> None:
    _check_password(user, password)
    _check_code(user, code)
    turn_off(user)
    _tell(user, "two-step sign-in was turned off")
    db.session.commit()
    mail.send_queued()


def reset_by_admin(user: User, reason: str) -> None:
    """For a member who lost both phone and recovery codes: off, every browser signed
    out, and the owner told (the caller records and commits)."""
    turn_off(user)
    sessions.end_all_sessions(user)
    _tell(user, "two-step sign-in was turned off by an admin", reason)


def turn_off(user: User) -> None:
    """Remove the secret and the recovery codes; the caller commits."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
