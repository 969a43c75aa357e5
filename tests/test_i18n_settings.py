"""The settings pages, the admin area and the members' rules in Spanish: asked for by the
browser (Accept-Language) or chosen on the account."""

from datetime import timedelta

from sqlalchemy import select, update

from forum.extensions import db
from forum.models import RecoveryCode, User, utcnow
from tests.conftest import Browser
from tests.test_two_factor import turn_on

SPANISH = {"Accept-Language": "es"}


def _signed_in(app, user):
    browser = Browser(app.test_client())
    browser.login(user.username)
    return browser


def test_the_settings_page_in_spanish(member_browser):
    html = member_browser.get("/settings", headers=SPANISH).get_data(as_text=True)
    assert "<h1>Ajustes</h1>" in html
    assert "Nombre visible" in html  # a form label (lazy)
    assert "Guardar los ajustes de lectura" in html
    assert "Tu dirección es maria@example.org (confirmada)." in html
    assert "Modo de ahorro de energía" in html
    assert "Settings sections" not in html and "Save profile" not in html


def test_a_settings_form_error_in_spanish(member_browser):
    refused = member_browser.submit("/settings/verification", {
        "credentials": "", "affiliation": "", "register_name": "GMC",
        "register_number": "123", "evidence_url": "not a web address",
    }, headers=SPANISH)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "Indica tu título y tus cualificaciones, por favor." in html
    assert "Indica dónde trabajas, por favor." in html
    assert "Escribe una dirección web completa (https://…), por favor." in html


def test_a_flash_in_spanish(member_browser):
    saved = member_browser.submit("/settings", {"display_name": "María", "bio": ""},
                                  headers=SPANISH, follow_redirects=True)
    assert "Tu perfil se ha guardado." in saved.get_data(as_text=True)


def test_the_recovery_code_count_is_a_plural(app, member_browser, member):
    turn_on(member_browser)

    def page_with(unused):
        codes = db.session.scalars(select(RecoveryCode.id).where(
            RecoveryCode.user_id == member.id).order_by(RecoveryCode.id)).all()
        db.session.execute(update(RecoveryCode).where(RecoveryCode.id.in_(codes[unused:]))
                           .values(used_at=utcnow()))
        db.session.commit()
        return member_browser.get("/settings/two-factor", headers=SPANISH).get_data(
            as_text=True)

    assert "Te quedan 10 códigos de recuperación sin usar." in page_with(10)
    assert "Te quedan 5 códigos de recuperación sin usar." in page_with(5)
    assert "Te queda 1 código de recuperación sin usar." in page_with(1)
    assert "Te quedan 0 códigos de recuperación sin usar." in page_with(0)
    english = member_browser.get("/settings/two-factor").get_data(as_text=True)
    assert "You have 0 unused recovery codes." in english


def test_an_admin_page_in_the_admins_own_language(app, admin, member):
    db.session.execute(update(User).where(User.id == admin.id).values(locale="es"))
    db.session.commit()
    browser = _signed_in(app, admin)
    html = browser.get("/admin/users").get_data(as_text=True)  # no Accept-Language
    assert "<h1>Miembros</h1>" in html
    assert "Buscar por nombre de usuario o correo" in html
    assert "Verificaciones de expertos" in html  # the admin menu
    assert "<td>administrador</td>" in html and "<td>miembro</td>" in html  # role shown
    assert "<td>activo</td>" in html
    detail = browser.get("/admin/users/maria").get_data(as_text=True)
    assert "rol: miembro" in detail and "Guardar el rol" in detail
    assert "Miembro (o experto, si está verificado)" in detail
    assert "Administrador" in detail  # the role, not the menu's "Administración"
    assert "Cola de moderación" in detail and "Registro de moderación" in detail


def test_refusals_from_the_members_rules_in_spanish(app, admin, member_browser):
    refused = member_browser.get("/admin/users", headers=SPANISH)
    assert refused.status_code == 403
    assert "Solo los administradores pueden hacer eso." in refused.get_data(as_text=True)

    own_role = _signed_in(app, admin).submit("/admin/users/admin_lee", {"role": "member"},
                                             action="/admin/users/admin_lee/role",
                                             headers=SPANISH)
    assert own_role.status_code == 403
    assert ("No puedes cambiar tu propio rol; pídeselo a otro administrador."
            in own_role.get_data(as_text=True))


def test_a_suspended_member_reads_why_in_spanish(member_browser, member):
    db.session.execute(update(User).where(User.id == member.id).values(
        suspended_until=utcnow() + timedelta(days=3), suspension_reason="Spam."))
    db.session.commit()
    html = member_browser.get("/settings", headers=SPANISH).get_data(as_text=True)
    assert "Tu cuenta está suspendida hasta el " in html
    assert ": puedes leer, pero no escribir. Motivo: Spam." in html
