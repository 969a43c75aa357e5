"""Safety in what members write: crisis language (the author is shown where to find help,
moderators get an alert), personal information in a draft (a warning, never a block),
and links to watched domains (the post waits for a moderator). Nothing here hides or
refuses a post on its own account: it warns, holds for a person to look, or tells."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from markupsafe import Markup

from .. import community, text
from ..extensions import db
from ..models import AlertKind, Post
from . import alerts, visibility

# -- crisis language ---------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
# A word: letters and digits, with apostrophes inside it ("don't"); anything else
# between words (spaces, punctuation, underscores, line breaks) is one gap.
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def words(value: str) -> str:
    """`value` as matching sees it: case folded, accents dropped, apostrophes straight,
    its words joined by single spaces."""
    folded = unicodedata.normalize("NFKD", value.translate(_APOSTROPHES).casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(_WORD.findall(plain))


def crisis_phrases(value: str) -> list[str]:
    """The crisis phrases (CRISIS_PHRASES, as the admins wrote them) that `value`
    contains as whole words: "suicidesquad" does not contain "suicide"."""
    haystack = f" {words(value)} "
    found = []
    for phrase in community.get_lines("CRISIS_PHRASES"):
        needle = words(phrase)
        if needle and f" {needle} " in haystack and phrase not in found:
            found.append(phrase)
    return found


# -- personal information ----------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    kind: str  # email | phone | postcode | nhs | birth
    start: int
    end: int


_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+"
                    r"(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# A run of digits with the separators people write in phone numbers. Not after a
# letter, '.', '/', '-' or a digit (DOIs, addresses, ids) and not before one.
_DIGITS = re.compile(r"(?<![\w./:#=-])(?:\+\d|\(\d|\d)[\d ().-]{6,22}\d(?![\w/]|[.-]\d)")
_US = re.compile(r"(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[.-])\d{3}[.-]\d{4}")
_NHS = re.compile(r"\d{3}( ?)\d{3}\1\d{4}")
# The Royal Mail's pattern (upper case, as postcodes are written; "b12 2nd" is a dose).
_POSTCODE = re.compile(
    r"(?<![\w-])(?:GIR ?0AA|(?:[A-PR-UWYZ][0-9][0-9A-HJKPSTUW]?|[A-PR-UWYZ][A-HK-Y][0-9]"
    r"[0-9ABEHMNPRV-Y]?) ?[0-9][ABD-HJLNP-UW-Z]{2})(?![\w-])")
_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|"
           r"aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|"
           r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|"
           r"noviembre|diciembre)")
_DATE = (r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{1,2}-\d{1,2}|"
         rf"\d{{1,2}}(?:st|nd|rd|th)?(?: of| de)? {_MONTHS}\.?,?(?: de)? \d{{4}}|"
         rf"{_MONTHS}\.? \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}})")
_BIRTH = re.compile(
    r"\b(?:born|d\.?o\.?b\.?|date of birth|birthday|birth date|nac[ií]d[oa]|"
    r"fecha de nacimiento|cumpleaños)\b[^\n\d]{0,25}?(" + _DATE + r")\b", re.IGNORECASE)
# Numbers that are not anyone's: a DOI, a PMID, a web address.
_NOT_PERSONAL = re.compile(r"\b10\.\d{4,9}/\S+|\bPMID:?\s*\d+|https?://\S+|\bwww\.\S+",
                           re.IGNORECASE)


def nhs_number_valid(digits: str) -> bool:
    """The NHS number's modulus 11 check: weights 10 to 2 on the first nine digits."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    check = 11 - sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def _number_kind(candidate: str) -> str | None:
    digits = re.sub(r"\D", "", candidate)
    if _NHS.fullmatch(candidate) and nhs_number_valid(digits):
        return "nhs"
    if not 10 <= len(digits) <= 15:
        return None
    if candidate.startswith("+"):
        return "phone"  # international: +44 7700 900123, +34 612 345 678
    if candidate.startswith(("0", "(0")) and len(digits) in (10, 11):
        return "phone"  # UK: 07700 900123, 020 7946 0000, 0161 496 0000
    if _US.fullmatch(candidate):
        return "phone"  # US: (555) 555-5555, 555-555-5555, 1-555-555-5555
    return None


def personal_info(value: str) -> list[Finding]:
    """Email addresses, phone numbers, UK postcodes, NHS numbers (checksum passing) and
    dates of birth (a date near "born", "DOB"...) in `value`, in order, not overlapping.
    Leans towards missing one rather than crying wolf: a bare date, a year, a dose, a
    DOI or a PMID is not flagged."""
    found = [Finding("email", m.start(), m.end()) for m in _EMAIL.finditer(value)]
    for match in _DIGITS.finditer(value):
        candidate = match.group().strip(" .-()") if not match.group().startswith("(") \
            else match.group().rstrip(" .-")
        kind = _number_kind(candidate)
        if kind:
            start = match.start() + match.group().index(candidate)
            found.append(Finding(kind, start, start + len(candidate)))
    found += [Finding("postcode", m.start(), m.end()) for m in _POSTCODE.finditer(value)]
    found += [Finding("birth", m.start(1), m.end(1)) for m in _BIRTH.finditer(value)]
    excluded = [(m.start(), m.end()) for m in _NOT_PERSONAL.finditer(value)]
    kept: list[Finding] = []
    for finding in sorted(found, key=lambda f: (f.start, -f.end)):
        if finding.kind != "email" and any(s < finding.end and finding.start < e
                                           for s, e in excluded):
            continue
        if kept and finding.start < kept[-1].end:
            continue
        kept.append(finding)
    return kept


def marked(value: str, findings: list[Finding]) -> Markup:
    """`value`, escaped, with each finding in <mark> (forum.text.mark_spans): the warning
    shows the author what would be public."""
    return text.mark_spans(value, [(finding.start, finding.end) for finding in findings])


# -- watched domains ---------------------------------------------------------------------

HOST_RE = re.compile(r"(?=.{1,253}\Z)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
                     r"[a-z][a-z0-9-]{0,61}[a-z0-9]")


def host_name(line: str) -> str | None:
    """A watched-domain line as stored: lower case, without a scheme, "www." or a path;
    None when it is not a host name."""
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", line.strip().lower()).split("/")[0]
    host = host.rstrip(".").removeprefix("www.")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return host if HOST_RE.fullmatch(host) else None


def watched_domain(html: str) -> str | None:
    """The first watched domain (WATCHED_DOMAINS) that rendered HTML links to, itself or
    a site under it: "shop.example.com" is under "example.com", "notexample.com" is not."""
    watched = [host for host in map(host_name, community.get_lines("WATCHED_DOMAINS")) if host]
    if not watched:
        return None
    for host in text.link_hosts(html):
        for domain in watched:
            if host == domain or host.endswith(f".{domain}"):
                return domain
    return None


WATCHED_REASON = "links to a watched domain: {domain}"  # i18n: not shown (stored English)


# -- when a post is written --------------------------------------------------------------

def hold_reason(html: str, html_before: str | None = None) -> str | None:
    """Why a post whose rendered words are `html` must wait for a moderator, whoever
    wrote it; for an edit, only when it adds the link (`html_before` did not have it)."""
    domain = watched_domain(html)
    if not domain or (html_before is not None and watched_domain(html_before) == domain):
        return None
    return WATCHED_REASON.format(domain=domain)


def hold_if_watched(post: Post, html: str, html_before: str | None = None) -> bool:
    """Hold `post` when `html` (its words, rendered) links a watched domain (for an edit,
    one `html_before` did not link). True when it was held here."""
    reason = None if post.is_held else hold_reason(html, html_before)
    if reason:
        visibility.hold(post, reason)
    return reason is not None


def written(post: Post, words_before: str = "", *also: str) -> None:
    """A post was written or edited (in the caller's transaction): crisis language the
    text did not have before raises an alert for moderators. The post itself is not
    touched: it is published, or held, as it would be anyway."""
    before = crisis_phrases(words_before) if words_before else []
    phrases = [phrase for phrase in crisis_phrases("\n".join((post.body_source, *also)))
               if phrase not in before]
    if not phrases:
        return
    db.session.flush()  # the post's id names the alert
    alerts.raise_alert(AlertKind.CRISIS, f"crisis:post:{post.id}", post=post,
                       subject=post.author, detail=", ".join(phrases))


# -- helplines ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Helpline:
    region: str
    name: str
    number: str
    web: str
    hours: str

    @property
    def dial(self) -> str | None:
        """The tel: address of a number made of digits, spaces and '+', '-'."""
        if re.fullmatch(r"\+?[0-9][0-9 -]*", self.number):
            return "tel:" + re.sub(r"[ -]", "", self.number)
        return None

    @property
    def url(self) -> str:
        return self.web if "://" in self.web or not self.web else f"https://{self.web}"


class HelplineError(ValueError):
    def __init__(self, number: int):
        super().__init__(number)
        self.line = number


def parse_helplines(raw: str) -> list[Helpline]:
    """'region | name | number | web address | when open' per line ('#' lines are notes).
    HelplineError names the first line that is not like that: five parts, a region and
    a name, a number or a web address, and the web address a real one."""
    lines = []
    for number, line in enumerate((raw or "").splitlines(), start=1):
        if not line.strip() or line.strip().startswith("#"):
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 5 or not parts[0] or not parts[1] or not (parts[2] or parts[3]):
            raise HelplineError(number)
        if parts[3] and not host_name(parts[3]) or re.search(r"[\s<>\"']", parts[3]):
            raise HelplineError(number)
        if parts[3] and "://" in parts[3] and not parts[3].lower().startswith(
                ("https://", "http://")):
            raise HelplineError(number)
        lines.append(Helpline(*parts))
    return lines


def helplines() -> list[Helpline]:
    """The helplines to show, the helpline region's first (admins' list, validated when
    saved; a line that slipped through is left out rather than failing the page)."""
    kept = []
    for line in community.get_lines("HELPLINES"):
        try:
            kept += parse_helplines(line)
        except HelplineError:
            continue
    region = community.get("HELPLINE_REGION").strip().casefold()
    return sorted(kept, key=lambda h: h.region.casefold() != region)


def regions(lines: list[Helpline]) -> list[str]:
    return list(dict.fromkeys(line.region for line in lines))
