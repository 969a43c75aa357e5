"""The accounts pages and mail in Spanish: joining, the sign-in code, a form error, the
flashes, a member's reports, and the account mail (rendered in a forced locale, as the
mail is for its recipient, not for whoever caused it)."""

import time

import pyotp
import pytest
from flask import render_template
from flask_babel import force_locale, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete

from forum.domain import reports, two_factor
from forum.extensions import db
from forum.models import RecoveryCode, User
from tests.conftest import Browser
from tests.factories import PASSWORD, make_user

SPANISH = {"Accept-Language": "es"}


def html(response) -> str:
    return response.get_data(as_text=True)


class SpanishBrowser(Browser):
    """A browser whose every request asks for Spanish."""

    def get(self, path, **kwargs):
        return self.client.get(path, headers=SPANISH, **kwargs)

    def submit(self, form_path, data, action=None, **kwargs):
        return super().submit(form_path, data, action=action, headers=SPANISH, **kwargs)


@pytest.fixture
def spanish(client):
    return SpanishBrowser(client)


def test_the_register_page_is_in_spanish(spanish):
    page = html(spanish.get("/register"))
    assert "<h1>Únete al foro</h1>" in page
    assert "Normas de la comunidad" in page
    assert "Nombre de usuario" in page  # a lazy form label
    assert "Crear mi cuenta" in page
    assert "Join the forum" not in page and "Community guidelines" not in page


def test_form_and_domain_errors_are_in_spanish(spanish, member):
    form = {"username": "lucia", "email": "lucia@example.org", "password": "a calm long password",
            "confirm": "a calm long password"}
    refused = spanish.submit("/register", form)  # the box is not ticked: the form says so
    assert refused.status_code == 200
    assert "Marca esta casilla para aceptar las normas de la comunidad" in html(refused)
    taken = spanish.submit("/register", {**form, "username": member.username, "agree": "y"})
    assert "Ese nombre de usuario ya está en uso. Elige otro, por favor." in html(taken)
    assert "That username is taken" not in html(taken)


def test_the_sign_in_code_page_its_error_and_the_flashes_are_in_spanish(app, spanish, member):
    secret = two_factor.new_secret()
    two_factor.enable(member, secret, pyotp.TOTP(secret).now(), PASSWORD)
    step = spanish.submit("/login", {"username": "maria", "password": PASSWORD})
    assert step.headers["Location"].startswith("/login/code")
    page = html(spanish.get(step.headers["Location"]))
    assert "<h1>Tu código de inicio de sesión</h1>" in page
    assert "Código" in page and "Your sign-in code" not in page
    wrong = spanish.submit(step.headers["Location"], {"code": "000000"})
    assert "Ese código no coincide." in html(wrong)
    # The code that turned it on is spent: the next one (within the allowed drift).
    done = spanish.submit(step.headers["Location"],
                          {"code": pyotp.TOTP(secret).at(time.time() + 30)})
    assert done.status_code == 302
    assert "Has iniciado sesión." in html(spanish.get("/"))
    spanish.submit("/", {}, action="/logout")
    assert "Has cerrado sesión." in html(spanish.get("/"))


def test_the_page_a_mailed_link_opens_is_in_spanish(spanish):
    # templates/_partials/ is extracted only with `pybabel extract --ignore-dirs '.*'`
    # (pybabel skips folders whose names start with "_" by default).
    page = html(spanish.get("/confirm/some-token"))
    assert "<h1>Confirma tu dirección de correo electrónico</h1>" in page
    assert "Pulsa el botón para terminar." in page and ">Confirmar</button>" in page


def _sign_in_with_a_recovery_code(app, user_id, left):
    """Sign in with a recovery code when `left` + 1 are unused; the page after it."""
    keep = two_factor._new_recovery_codes(db.session.get(User, user_id))[:left + 1]
    db.session.execute(delete(RecoveryCode).where(
        RecoveryCode.user_id == user_id,
        RecoveryCode.code_hash.not_in([two_factor._hash(code) for code in keep])))
    db.session.commit()
    browser = SpanishBrowser(app.test_client())
    step = browser.submit("/login", {"username": "maria", "password": PASSWORD})
    assert browser.submit(step.headers["Location"], {"code": keep[0]}).status_code == 302
    return html(browser.get("/"))


# Until forum/domain/mail.py renders each message inside force_locale(...): the mail's
# test_request_context shares the request's app context (`g`), where Flask-Babel caches
# the locale, so a request that queues mail before anything was translated goes on in
# English (the recovery-code sign-in mails the owner; so does a reset for an address
# that has an account, which then answers in another language than for one without).
def test_the_recovery_code_flash_counts_in_spanish(app, member):
    secret = two_factor.new_secret()
    two_factor.enable(member, secret, pyotp.TOTP(secret).now(), PASSWORD)
    user_id = member.id
    assert "Has usado un código de recuperación; te queda 1." in _sign_in_with_a_recovery_code(
        app, user_id, 1)
    assert "te quedan 5." in _sign_in_with_a_recovery_code(app, user_id, 5)
    assert "te quedan 0." in _sign_in_with_a_recovery_code(app, user_id, 0)


def test_a_members_reports_page_is_in_spanish(app, member, other_member, moderator):
    reports.report_user(other_member, member, "spam", "")
    reports.resolve_reports(moderator, None, other_member, "dismiss", "")
    browser = SpanishBrowser(app.test_client())
    browser.login("maria")
    page = html(browser.get("/reports"))
    assert "<h1>Tus denuncias</h1>" in page
    assert "Resultado: Un moderador lo revisó y lo dejó como estaba." in page
    assert "sobre <bdi>" in page


def test_the_recovery_code_count_is_worded_for_0_1_and_5_in_spanish(app):
    # The flash above, worded for each count.
    singular = ("You used a recovery code; %(num)d is left. You can make new ones in your "
                "settings.")
    plural = ("You used a recovery code; %(num)d are left. You can make new ones in your "
              "settings.")
    with app.test_request_context("/", headers=SPANISH):
        worded = {n: ngettext(singular, plural, n) for n in (0, 1, 5)}
    assert worded[1].startswith("Has usado un código de recuperación; te queda 1.")
    assert "te quedan 0." in worded[0] and "te quedan 5." in worded[5]


def _mail(template, **context):
    subject, _sep, body = render_template(f"mail/{template}.txt", **context).partition("\n")
    return subject, body


def test_the_security_mail_is_worded_in_the_forced_language(app, member):
    # `what` is made lazily where the change happens and worded when the mail renders.
    what = _l("two-step sign-in was turned on")
    with app.test_request_context("/"), force_locale("es"):
        subject, body = _mail("security", user=member, what=what, reason="")
    assert subject == "Tu cuenta: se activó el inicio de sesión en dos pasos"
    assert body.startswith("Hola, maria:\n")
    assert "Se activó el inicio de sesión en dos pasos en tu cuenta del" in body
    assert "Si no fuiste tú, puede que alguien conozca tu contraseña" in body
    with app.test_request_context("/"):
        subject, body = _mail("security", user=member, what=what, reason="")
    assert subject == "Your account: two-step sign-in was turned on"
    assert "Two-step sign-in was turned on on your" in body


def test_the_confirmation_mail_in_spanish(app):
    user = make_user("lucia")
    with app.test_request_context("/"), force_locale("es"):
        subject, body = _mail("confirm", user=user, token="t0ken")
    assert subject == "Confirma tu dirección de correo electrónico, por favor"
    assert "Hola, lucia:" in body
    assert "El enlace funciona durante siete días." in body
    assert "/confirm/t0ken" in body


def test_the_reset_answer_is_the_same_spanish_whether_or_not_the_address_has_an_account(
        spanish, member):
    answers = []
    for email in ("maria@example.org", "nobody@example.org"):
        spanish.submit("/reset", {"email": email})
        answers.append(html(spanish.get("/login")))
    for page in answers:
        assert "Si alguna cuenta usa esa dirección, le hemos enviado un enlace" in page
