"""Two-step sign-in: time-based codes (TOTP, RFC 6238) from an authenticator app, with
one-time recovery codes for a lost phone.

Turning it on is two steps: `begin_setup` makes a secret that is kept on the
browser's server-side session row (never in the readable cookie) until `enable` sees
a valid code for it, so a half-finished set-up never locks anyone out. Each function
that changes state commits once.

Secrets are stored encrypted (Fernet) with TOTP_ENCRYPTION_KEY, which lives outside
the database: a copy of the database alone gives away nobody's second step.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import io
import logging
import secrets
import time
from collections.abc import Callable
from datetime import timedelta

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from werkzeug.security import check_password_hash

from ..config import totp_keys
from ..extensions import db
from ..models import RecoveryCode, User, UserSession, utcnow
from . import mail, sessions

log = logging.getLogger("forum.accounts.two_factor")  # as operators know it

ISSUER = "MS Forum"
RECOVERY_CODE_COUNT = 10
# Twelve base-32 characters (60 bits), shown as three groups of four.
RECOVERY_CODE_LENGTH = 12
# One step either side forgives a phone clock that is up to 30 seconds out.
DRIFT_STEPS = 1
# A set-up key shown and not confirmed within this time is replaced by a new one.
SETUP_MAX_AGE = timedelta(minutes=15)


class TwoFactorError(ValueError):
    """A code or password that cannot be accepted: {field: message}, safe to show."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


@functools.lru_cache(maxsize=4)
def _multi_fernet(keys: tuple[bytes, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _fernet() -> MultiFernet:
    """Encrypts with the first key of TOTP_ENCRYPTION_KEY, decrypts with any of them."""
    return _multi_fernet(tuple(totp_keys(current_app.config["TOTP_ENCRYPTION_KEY"])))


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str | None) -> str | None:
    """The secret, or None when no key in TOTP_ENCRYPTION_KEY opens it (an old key
    removed before `two-factor rotate-key` ran); recovery codes still work then."""
    if not sealed:
        return None
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        log.error("A two-step secret cannot be decrypted with TOTP_ENCRYPTION_KEY; "
                  "was an old key removed before `flask --app forum two-factor rotate-key`?")
        return None


def new_secret() -> str:
    return pyotp.random_base32()


def setup_secret(user: User) -> str | None:
    """The secret this browser is setting up, if it was shown in the last fifteen minutes."""
    sealed, shown_at = sessions.two_factor_setup(user)
    if sealed is None or shown_at is None or utcnow() - shown_at > SETUP_MAX_AGE:
        return None
    return unseal(sealed)


def begin_setup(user: User) -> str:
    """The secret to show: the one being set up, or a new one, good for fifteen more
    minutes; kept on this browser's session row, sealed."""
    secret = setup_secret(user) or new_secret()
    sessions.keep_two_factor_setup(user, seal(secret))
    db.session.commit()
    return secret


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to read and type into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_svg(uri: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=6, border=2,
                                    title=_("QR code for your authenticator app"))
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
    for _number in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(alphabet) for _place in range(RECOVERY_CODE_LENGTH))
        codes.append("-".join(raw[i:i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4)))
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(c)) for c in codes)
    return codes


def _tell(user: User, what, reason: str = "") -> None:
    """Every change to how an account signs in is mailed to its owner, who may not
    be the one who made it. `what` is lazy (`_l`): the mail is worded in the
    recipient's language, not in that of whoever made the change."""
    if user.email:
        mail.queue(user, "security", what=what, reason=reason)


def _check_password(user: User, password: str) -> None:
    if not check_password_hash(user.password_hash or "", password or ""):
        raise TwoFactorError({"password": _("That is not your current password.")})


def enable(user: User, secret: str, code: str, password: str) -> list[str]:
    """Turn two-step sign-in on; returns the recovery codes, shown once."""
    _check_password(user, password)
    step = _matching_step(secret, code, None)
    if step is None:
        raise TwoFactorError({"code": _("That code does not match. Check the time on your "
                                        "phone and type the newest six-digit code.")})
    user.totp_secret = seal(secret)
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    sessions.keep_two_factor_setup(user, None)
    codes = _new_recovery_codes(user)
    # Browsers signed in with the password alone are signed out.
    sessions.end_other_sessions(user)
    _tell(user, _l("two-step sign-in was turned on"))
    db.session.commit()
    mail.send_queued()
    return codes


def verify(user: User, code: str) -> str | None:
    """Check a sign-in code: 'app' for an authenticator code, 'recovery' for a recovery
    code (which is then used up), None if neither. A code is accepted once only."""
    if not user.has_two_factor:
        return None
    secret = unseal(user.totp_secret)
    step = _matching_step(secret, code, user.totp_last_step) if secret else None
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
        _tell(user, _l("a recovery code was used to sign in"))
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
        raise TwoFactorError({"code": _("That code does not match. Type the newest code from "
                                        "your app, or one of your recovery codes.")})


def regenerate_recovery_codes(user: User, password: str, code: str) -> list[str]:
    _check_password(user, password)
    _check_code(user, code)
    codes = _new_recovery_codes(user)
    _tell(user, _l("new recovery codes were made, and the old ones stopped working"))
    db.session.commit()
    mail.send_queued()
    return codes


def disable(user: User, password: str, code: str) -> None:
    _check_password(user, password)
    _check_code(user, code)
    turn_off(user)
    _tell(user, _l("two-step sign-in was turned off"))
    db.session.commit()
    mail.send_queued()


def reset_by_admin(user: User, reason: str) -> None:
    """For a member who lost both phone and recovery codes: off, every browser signed
    out, and the owner told (the caller records and commits)."""
    turn_off(user)
    sessions.end_all_sessions(user)
    _tell(user, _l("two-step sign-in was turned off by an admin"), reason)


def turn_off(user: User) -> None:
    """Remove the secret and the recovery codes; the caller commits."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def rotate_key(progress: Callable[[int], object] = lambda n: None) -> tuple[int, int]:
    """Re-encrypt every stored secret (members' and set-ups in progress) with the first
    key of TOTP_ENCRYPTION_KEY, so the keys after it can then be removed. Returns
    (re-encrypted, unreadable); an unreadable one is left as it was."""
    fernet = _fernet()
    rotated = unreadable = 0
    for column in (User.totp_secret, UserSession.two_factor_setup):
        model = column.class_
        ids = db.session.scalars(
            select(model.id).where(column.is_not(None)).order_by(model.id)).all()
        for start in range(0, len(ids), 500):
            batch = ids[start:start + 500]
            for row_id, sealed in db.session.execute(
                    select(model.id, column).where(model.id.in_(batch))):
                try:
                    fresh = fernet.rotate(sealed.encode()).decode()
                except InvalidToken:
                    unreadable += 1
                    continue
                db.session.execute(update(model).where(model.id == row_id)
                                   .values({column: fresh}))
                rotated += 1
            db.session.commit()
            progress(len(batch))
    return rotated, unreadable


def sealed_count() -> int:
    """How many secrets `rotate_key` goes through (for its progress bar)."""
    return sum(db.session.scalar(select(func.count()).where(column.is_not(None)))
               for column in (User.totp_secret, UserSession.two_factor_setup))
