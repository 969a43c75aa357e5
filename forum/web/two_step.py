"""Two-step sign-in between requests: the session keys that carry a sign-in from the
password to the code, and the one limit on code guesses that sign-in and the
settings pages share."""

from flask import current_app, session
from flask_login import current_user

from ..extensions import limiter

# A password sign-in that waits for its code: the account, when, and "remember me".
PENDING = "two_factor_pending"
PENDING_MAX_AGE = 300

# Where set-up secrets were kept before they moved to the session row; cookies issued
# then are cleared of it.
SETUP = "two_factor_setup"


def code_key():
    """Code guesses are counted per account, wherever they come from: the account
    signing in, or the signed-in one turning it on or off."""
    pending = session.get(PENDING)
    if current_user.is_authenticated:
        return f"two-factor:{current_user.id}"
    return f"two-factor:{pending.get('user')}" if isinstance(pending, dict) else "two-factor:-"


# Every attempt counts, right ones too: only someone who has the password gets this
# far, and counting after the answer would let guesses sent at once slip through.
code_limit = limiter.shared_limit(lambda: current_app.config["RATELIMIT_TWO_FACTOR"],
                            scope="two-factor", key_func=code_key,
                            methods=["POST"])
