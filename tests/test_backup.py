"""backup create / restore, on whichever database the suite runs."""

from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Thread
from tests.factories import make_category, make_discussion


def test_backup_then_restore_brings_the_forum_back(app, tmp_path, member, client):
    category = make_category()
    make_discussion(member, category, title="Kept in the backup")
    cli = app.test_cli_runner()
    target = tmp_path / "forum.backup"

    made = cli.invoke(args=["backup", "create", str(target)])
    assert made.exit_code == 0, made.output
    assert target.stat().st_size > 0
    again = cli.invoke(args=["backup", "create", str(target)])
    assert again.exit_code != 0 and "already exists" in again.output

    make_discussion(member, category, title="Written after the backup")
    db.session.commit()
    db.session.remove()
    restored = cli.invoke(args=["backup", "restore", str(target), "--yes"])
    assert restored.exit_code == 0, restored.output

    titles = db.session.scalars(select(Thread.title)).all()
    assert titles == ["Kept in the backup"]
    assert "Kept in the backup" in client.get("/").get_data(as_text=True)
    assert db.session.scalar(select(func.count(Thread.id))) == 1


def test_restore_refuses_a_missing_file(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "nope"),
                                                "--yes"])
    assert result.exit_code != 0 and "not a backup file" in result.output
