"""Evidence labels carry an optional citation (a DOI or a PMID, checked like article
references), set from the thread and post label forms and from a report's "label"
resolution, and shown with the label as links."""

import pytest
from sqlalchemy import select

from forum.domain import labels
from forum.domain.reports import flag_post
from forum.domain.threads import WritingError
from forum.extensions import db
from forum.models import EvidenceLabel, Post, Thread
from tests.conftest import Browser
from tests.factories import make_category, make_discussion


@pytest.fixture
def unproven(app):
    label = EvidenceLabel(name="Unproven", tone="caution", description="Not shown to work.")
    db.session.add(label)
    db.session.commit()
    return label


@pytest.fixture
def thread(app, member):
    return make_discussion(member, make_category(), title="A clinic abroad offers stem cells",
                           replies=1, repliers=[member])


def page(response):
    return response.get_data(as_text=True)


def signed_in(app, user):
    browser = Browser(app.test_client())
    browser.login(user.username)
    return browser


@pytest.mark.parametrize(("raw", "doi", "pmid"), [
    ("10.1016/S1474-4422(20)30001-2", "10.1016/S1474-4422(20)30001-2", None),
    ("https://doi.org/10.1212/WNL.0000000000001.", "10.1212/WNL.0000000000001", None),
    ("PMID: 27145057", None, "27145057"),
    ("27145057", None, "27145057"),
    ("https://pubmed.ncbi.nlm.nih.gov/27145057/", None, "27145057"),
])
def test_a_citation_is_a_doi_or_a_pmid(app, raw, doi, pmid):
    citation = labels.parse_citation(raw)
    assert (citation.doi, citation.pmid) == (doi, pmid)


@pytest.mark.parametrize("raw", ["a study I read", "PMID: ١٢٣٤", "123456789", "doi 10.12/x"])
def test_anything_else_is_refused(app, raw):
    with pytest.raises(WritingError):
        labels.parse_citation(raw)


def test_an_expert_labels_a_thread_with_a_doi_and_it_shows_as_a_link(app, thread, unproven,
                                                                      expert):
    response = signed_in(app, expert).submit(f"/t/{thread.id}", {
        "label": unproven.id, "note": "No trial supports this.",
        "citation": "doi:10.1177/1352458520917935"}, action=f"/t/{thread.id}/label")
    assert response.status_code == 302
    db.session.expire_all()
    labelled = db.session.get(Thread, thread.id)
    assert labelled.label_doi == "10.1177/1352458520917935" and labelled.label_pmid is None
    shown = page(app.test_client().get(f"/t/{thread.id}"))
    assert 'href="https://doi.org/10.1177/1352458520917935"' in shown


def test_a_moderator_labels_a_post_with_a_pmid(app, thread, unproven, moderator):
    reply = db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                 Post.is_opening.is_(False)))
    response = signed_in(app, moderator).submit(f"/t/{thread.id}", {
        "label": unproven.id, "note": "", "citation": "PMID: 27145057"},
        action=f"/p/{reply.id}/label")
    assert response.status_code == 302
    shown = page(app.test_client().get(f"/t/{thread.id}"))
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/27145057/"' in shown


def test_a_citation_without_doi_or_pmid_is_refused_and_the_text_kept(app, thread, unproven,
                                                                     expert):
    browser = signed_in(app, expert)
    response = browser.submit(f"/t/{thread.id}", {
        "label": unproven.id, "note": "My careful note about this claim.",
        "citation": "the big Lancet trial"}, action=f"/t/{thread.id}/label",
        headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 400
    body = page(response)
    assert "needs a DOI" in body
    assert "the big Lancet trial" in body and "My careful note about this claim." in body
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).label_id is None


def test_removing_the_label_removes_its_citation(app, thread, unproven, expert):
    labels.set_label(thread, expert, unproven, "", citation=labels.parse_citation("PMID: 1"))
    signed_in(app, expert).submit(f"/t/{thread.id}", {"label": 0, "citation": "PMID: 2"},
                                  action=f"/t/{thread.id}/label")
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).label_pmid is None


def test_the_label_resolution_of_reports_carries_a_citation(app, thread, unproven, moderator,
                                                           other_member):
    reply = db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                 Post.is_opening.is_(False)))
    flag_post(reply, other_member, "misinformation", "Dangerous claim.")
    browser = signed_in(app, moderator)
    refused = browser.submit("/mod", {"action": "label", "label": unproven.id,
                                      "note": "Kept note", "citation": "nope"},
                             action=f"/mod/reports/post-{reply.id}")
    assert refused.status_code == 200 and "needs a DOI" in page(refused)
    assert "Kept note" in page(refused)
    done = browser.submit("/mod", {"action": "label", "label": unproven.id, "note": "",
                                   "citation": "10.1016/j.msard.2020.102000"},
                          action=f"/mod/reports/post-{reply.id}")
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, reply.id).label_doi == "10.1016/j.msard.2020.102000"
