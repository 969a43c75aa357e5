"""A small demo community: categories, accounts, one expert article and some discussions.

Loaded by `flask --app forum seed demo`. Everything here is invented: the people are
fictional, the emails use example.org, and the passwords below are public. Never load
this into a database that real people use.

The content is written to be medically careful: it describes research and shares
lived experience, but recommends no treatment. Times are relative to the moment of
loading (oldest first), so the "recent" panels on the front page look alive.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from textwrap import dedent

from sqlalchemy import select

from .domain.accounts import create_user, find_by_username
from .domain.moderation import lock_thread, pin_thread
from .domain.posts import add_reply
from .domain.threads import Citation, publish_article, start_discussion
from .extensions import db
from .models import Category, Role, User, utcnow

# (username, role, password). Demo passwords, documented in the README: never reuse them.
DEMO_ACCOUNTS = [
    ("forum_admin", Role.ADMIN, "demo-harbour-lights"),
    ("mod_ruth", Role.MODERATOR, "demo-quiet-lantern"),
    ("prof_k", Role.EXPERT, "demo-myelin-garden"),
    ("nurse_amara", Role.EXPERT, "demo-clinic-kettle"),
    ("wren_walks", Role.MEMBER, "demo-morning-porridge"),
    ("tea_and_toast", Role.MEMBER, "demo-slow-sunday"),
    ("kestrel", Role.MEMBER, "demo-first-steps"),
    ("marigold_m", Role.MEMBER, "demo-tomato-patch"),
    ("bluebell_carer", Role.MEMBER, "demo-kind-hands"),
    ("dan_the_van", Role.MEMBER, "demo-long-road"),
    ("sleepy_otter", Role.MEMBER, "demo-cool-river"),
    ("lighthouse_jo", Role.MEMBER, "demo-steady-beam"),
    ("fern_and_fog", Role.MEMBER, "demo-misty-hills"),
]
# new_here (demo-fresh-start) is made last, as a newcomer whose first post waits for review.
DEMO_ADMIN = DEMO_ACCOUNTS[0][0]
MODERATOR = "mod_ruth"


def _ago(days: float = 0, hours: float = 0) -> timedelta:
    return timedelta(days=days, hours=hours)


def _text(source: str) -> str:
    """Markdown written indented in this file, without the indentation."""
    return dedent(source).strip()


# (slug, name, description), in display order.
CATEGORIES = (
    ("research-news", "Research news",
     "Articles by verified experts on new MS research, with the papers they cite."),
    ("living-with-ms", "Living with MS",
     "Everyday life with MS: fatigue, work, heat, mood, and the small things that help."),
    ("treatments-and-trials", "Treatments and trials",
     "Disease-modifying therapies, symptom treatments and clinical trials. "
     "Share experiences, not prescriptions."),
    ("ask-an-expert", "Ask an expert",
     "General questions answered by verified clinicians. "
     "Not a substitute for your own MS team."),
    ("carers", "Carers and family",
     "For partners, parents, children and friends supporting someone with MS."),
)

# Profile columns for each demo account; `joined` is how long ago the account was made.
PROFILES = {
    "forum_admin": dict(
        display_name="Forum admin",
        bio="Keeps the lights on. Questions about your account? Send a message.",
        joined=_ago(420),
    ),
    "mod_ruth": dict(
        display_name="Ruth",
        bio="Volunteer moderator. Diagnosed in 2009, knits badly, reads a lot of crime novels.",
        joined=_ago(400),
    ),
    "prof_k": dict(
        display_name="Prof K",
        credentials="Professor of Neurology; consultant neurologist (MD, PhD)",
        affiliation="Department of Neurology, Harbourside University Hospital (fictional)",
        bio=(
            "Runs an MS clinic and a research group on what triggers MS and how to "
            "prevent disability. Keen cyclist and allotment gardener. "
            "Demo account: this person and hospital are invented."
        ),
        conflicts=(
            "Has received speaker fees and advisory board payments from several companies "
            "that make MS medicines, and holds research grants from MS charities and a "
            "national research council. Has no financial interest in any diet, probiotic or "
            "microbiome product or clinic."
        ),
        joined=_ago(380),
    ),
    "nurse_amara": dict(
        display_name="Amara (MS nurse)",
        credentials="Registered nurse; MS specialist nurse (RN, MSc)",
        affiliation="Community MS team, Harbourside (fictional)",
        bio=(
            "Twelve years as an MS specialist nurse, mostly helping people start and "
            "monitor treatments and manage symptoms. "
            "Demo account: this person and service are invented."
        ),
        conflicts="No conflicts of interest to declare.",
        joined=_ago(360),
    ),
    "wren_walks": dict(
        display_name="Wren",
        bio="Relapsing MS since 2015. Two dogs, one allotment, too many seed catalogues.",
        joined=_ago(900),
    ),
    "tea_and_toast": dict(
        display_name="Tea & Toast",
        bio="Part-time librarian with MS. Fatigue is my nemesis; naps are my superpower.",
        joined=_ago(610),
    ),
    "kestrel": dict(
        display_name="Kestrel",
        bio="Diagnosed this spring. Still learning the vocabulary.",
        joined=_ago(21),
    ),
    "marigold_m": dict(
        display_name="Marigold",
        bio="Secondary progressive MS, retired teacher, grows tomatoes with great seriousness.",
        joined=_ago(530),
    ),
    "bluebell_carer": dict(
        display_name="Bluebell",
        bio="My partner was diagnosed recently. Here to learn how to help.",
        joined=_ago(10),
    ),
    "dan_the_van": dict(
        display_name="Dan",
        bio="Ex-delivery driver, MS for twenty years, allergic to miracle cures.",
        joined=_ago(760),
    ),
    "sleepy_otter": dict(
        display_name="Sleepy Otter",
        bio="MS and a strong dislike of July. Happiest in a cold lake.",
        joined=_ago(300),
    ),
    "lighthouse_jo": dict(
        display_name="Jo",
        bio="Wife and carer to Mike, who has primary progressive MS.",
        joined=_ago(480),
    ),
    "fern_and_fog": dict(
        display_name="Fern",
        bio="Diagnosed 2019. Always reading about new research, sometimes too much.",
        joined=_ago(150),
    ),
}

GLENN_MOWRY = Citation(
    citation=(
        "Glenn JD, Mowry EM. Emerging Concepts on the Gut Microbiome and Multiple Sclerosis. "
        "J Interferon Cytokine Res. 2016;36(6):347-357."
    ),
    doi="10.1089/jir.2015.0177",
    pmid="27145057",
)
JANGI_2016 = Citation(
    citation=(
        "Jangi S, Gandhi R, Cox LM, et al. Alterations of the human gut microbiome in "
        "multiple sclerosis. Nat Commun. 2016;7:12015."
    ),
    doi="10.1038/ncomms12015",
    pmid="27352007",
)

ARTICLE = dict(
    author="prof_k",
    category="research-news",
    title="Gut bacteria and MS: interesting science, no proven treatments yet",
    summary=(
        "Studies keep finding differences in the gut bacteria of people with MS. "
        "Here is what that research can and cannot tell us, and why a paid faecal "
        "transplant outside a trial is not the answer."
    ),
    tags=["researchspeak", "clinicspeak", "microbiome"],
    references=[GLENN_MOWRY, JANGI_2016],
    disclosure=(
        "I have received speaker and advisory fees from companies that make MS medicines; "
        "none of them sells microbiome products. Nobody paid for or reviewed this article."
    ),
    at=_ago(10, 2),
    body=_text("""
        Each of us carries trillions of microbes in our gut, and together they are called
        the gut microbiome. Research on it has grown enormously in the last decade, and it
        has now been linked, in one way or another, with most long-term conditions,
        including MS. A clear overview is the review by Glenn and Mowry listed below. As a
        few of you have asked me about it in clinic, here is my summary.

        # What the studies show so far

        - In mice with an MS-like illness, animals raised without any gut bacteria develop
          much milder disease, and adding back particular bacteria can make it worse or
          better.
        - When researchers compare stool samples from people with and without MS, they find
          differences in which bacteria are common. The studies do not all agree on which
          bacteria, though.
        - MS medicines appear to shift the microbiome themselves: one study found different
          bacteria in treated and untreated patients.

        # Why a link is not the same as a cause

        Finding that people with MS have different gut bacteria does not tell us which came
        first. MS can change the gut: people change what they eat after diagnosis, move less
        on bad days, take medicines, have bowel and bladder problems, and get more courses
        of antibiotics. Any of these could alter the microbiome. When the illness changes
        the thing being measured, rather than the other way round, statisticians call it
        **reverse causation**, and it is very hard to rule out in studies that take a
        single sample at a single time.

        The mouse work is valuable for understanding mechanisms, but a mouse model is not a
        person with MS. Many ideas that worked well in these models have not helped people.

        # Where that leaves faecal transplants

        Some people have suggested clearing the gut with antibiotics and then repopulating
        it, with probiotics or with stool from a healthy donor. Faecal transplants are an
        established treatment for a stubborn bowel infection called *C. difficile*, but that
        is a different question. For MS there is no good evidence of benefit, and there are
        real risks: donor stool can pass on serious infections, including bacteria that
        resist antibiotics, and the antibiotics themselves have side effects.

        My view is simple. If this is tried at all, it should be inside a properly designed
        trial that is registered, approved by an ethics committee and randomised, so that we
        learn whether it works. Genuine research does not charge the people who take part.
        A clinic that asks you for thousands to have an unproven procedure is selling hope,
        not treatment. Some of you will remember the vein-widening operations sold for MS
        around 2010; careful trials later found no benefit, after many families had spent
        money they could not spare.

        # What is reasonable now

        - Please do not stop or change a disease-modifying treatment without talking to your
          MS team first.
        - A varied diet is good for general health; if you want to make big changes, a
          dietitian or your team can help you do it safely.
        - If you would like to take part in research, ask your team about registered studies.

        Questions are welcome below. I will answer what I can, but I cannot give personal
        medical advice here.
    """),
    replies=(
        ("wren_walks", _ago(9, 20), """
            Thank you for this. I've noticed that I feel better overall when I eat plenty of
            fibre (porridge, lentils, whatever the allotment is producing) and worse when I
            let it slide. I know that's one person and I might just be sleeping better in
            those weeks too, but it's nice to read about why the gut gets so much attention.
        """),
        ("dan_the_van", _ago(9, 15), """
            Twenty years of MS and I've lost count of the "just fix this one tube" cures.
            Veins, then teeth fillings, now bowels. Every time there's a clinic with a glossy
            website ready before there's a single decent study. Thanks for saying it plainly.
        """),
        ("lighthouse_jo", _ago(9, 8), """
            Speaking as a carer: Mike reads everything, and every new headline brings a
            week of hope and then a crash. I worry less about him trying diets than about
            the money. We are not in a position to lose savings to a private clinic, and I
            suspect a lot of families here aren't either. Articles like this help us have
            the conversation calmly.
        """),
        ("fern_and_fog", _ago(8, 22), """
            Genuine question: are any proper trials of this planned? When I asked at my last
            appointment I got a bit of a brush-off, and I came away unsure whether the idea
            is even considered sensible enough to study.
        """),
        ("prof_k", _ago(8, 18), """
            @fern_and_fog a fair question, and I'm sorry it was brushed off. Yes, it is
            considered worth studying: there have been small early studies, and trials of
            microbiome-based approaches have been registered. Small early studies mainly
            check safety and feasibility; they cannot tell us whether something works.

            If you want to look for yourself, public registries such as ClinicalTrials.gov
            and ISRCTN list studies with their ethics approval and contact details. Your MS
            team can also tell you what is recruiting near you.
        """),
        ("marigold_m", _ago(8, 6), """
            I'll stick with my porridge, thanks. The only transplant I'm planning this year
            is moving the tomato seedlings into bigger pots.
        """),
        ("sleepy_otter", _ago(7, 23), """
            @marigold_m you've made me laugh on a grim afternoon. Save me a tomato.
        """),
        ("tea_and_toast", _ago(7, 12), """
            What I found useful here is the bit about medicines changing the microbiome.
            So if a study compares people on treatment with people who've never had any,
            the difference might be the tablets, not the MS? That's quite a trap.
        """),
        ("nurse_amara", _ago(7, 9), """
            @tea_and_toast exactly that, and it's one of the reasons good studies record
            medicines, diet and recent antibiotics so carefully.

            @wren_walks lovely to hear the allotment is feeding you well. For anyone thinking
            about changing their diet: increasing fibre gradually tends to be kinder to the
            gut, and if you have swallowing or bladder and bowel problems, your team or a
            dietitian can help you plan changes that suit you.
        """),
        ("kestrel", _ago(6, 16), """
            Newly diagnosed here. Honestly the internet had me half convinced I needed to
            overhaul everything I eat by Friday. It's reassuring to read that the evidence is
            still being worked out and that I'm not failing by not doing some special diet.
        """),
        ("bluebell_carer", _ago(6, 2), """
            @kestrel same feeling from the carer side. I had three browser tabs of "gut
            protocols" open last week. Closing them now.
        """),
        ("dan_the_van", _ago(4, 5), """
            Bookmarking this for the next time someone at the pub tells me their cousin's
            friend was cured by a clinic abroad.
        """),
    ),
)

WELCOME = _text("""
    Hello, and welcome. Whether you have MS, love someone who does, or work with people
    who have it, you are in the right place.

    A few house rules to keep this a calm, useful space:

    - **Be kind.** Everyone's MS is different, and so are their choices.
    - **Use a pseudonym** and leave out details that could identify you or others.
    - **This is not a substitute for medical advice.** Members share experience; verified
      experts share general information. Decisions about your care belong with your own
      MS team.
    - **No selling.** We remove posts promoting paid, unproven treatments.
    - **Report, don't argue.** If a post worries you, use the report link and a moderator
      will look at it.

    Say hello below if you like. There is no need to share your diagnosis story unless you
    want to.
""")

# Discussions, each with its replies as (author, when, Markdown). `pin` and `lock` are
# moderator actions taken after the thread starts (pin) or after its last reply (lock).
DISCUSSIONS = (
    dict(
        author=MODERATOR,
        category="living-with-ms",
        title="Welcome to the forum: please read the house rules",
        tags=["welcome"],
        at=_ago(14, 3),
        body=WELCOME,
        pin=_ago(14, 2),
        replies=(
            ("tea_and_toast", _ago(13, 20), "Thanks Ruth. Nice to have somewhere calm."),
            ("sleepy_otter", _ago(12, 9), "Hello all. Mostly here to complain about summer."),
            ("bluebell_carer", _ago(9, 4), """
                Hi, I'm new. My partner was diagnosed recently and I'm trying to learn. I
                hope it's OK that I'm here as a carer rather than someone with MS.
            """),
            (MODERATOR, _ago(9, 2), """
                @bluebell_carer very welcome. There is a whole section for carers and
                family, and plenty of people here who have been where you are.
            """),
        ),
    ),
    dict(
        author="tea_and_toast",
        category="living-with-ms",
        title="Fatigue on bad days: what actually helps you?",
        tags=["fatigue", "pacing"],
        at=_ago(12, 5),
        body=_text("""
            I'm having a run of days where I'm done by 11am. Not sleepy exactly, more like
            the battery just empties. My MS nurse has mentioned pacing but I'd love to hear
            what works for real people on real days.

            What do you do when you wake up and know it's going to be a bad one?
        """),
        replies=(
            ("wren_walks", _ago(12, 1), """
                I split everything into small jobs and do the most important one first, while
                I still have something in the tank. A short rest *before* I'm exhausted works
                better for me than collapsing afterwards.
            """),
            ("marigold_m", _ago(11, 14), """
                I keep a simple diary for a couple of weeks now and then: what I did, how
                I slept, how tired I felt. It showed me that my worst days followed late
                nights and hot baths. Boring discovery, useful though.
            """),
            ("nurse_amara", _ago(8, 10), """
                Some good ideas here. Two things worth knowing: MS fatigue can be made worse
                by other things that can be treated, such as poor sleep, low mood, infections,
                getting up at night for the bladder, or side effects of medicines. So it's
                worth raising with your team rather than putting up with it.

                Many MS services and charities also run fatigue management courses, which
                teach pacing and planning in a structured way. Ask whether there is one near
                you.
            """),
            ("tea_and_toast", _ago(0, 20), """
                Update: I asked about a course and there's one starting next month. Also
                trying the "rest before you need it" idea. Thank you all.
            """),
        ),
    ),
    dict(
        author="bluebell_carer",
        category="carers",
        title="My partner was just diagnosed: how can I support them?",
        tags=["new-diagnosis", "carers"],
        at=_ago(9, 1),
        body=_text("""
            Sam was diagnosed with relapsing MS six weeks ago. They're coping better than me,
            I think, which makes me feel guilty. I want to help without hovering or making
            everything about MS. How did your partner help you, or how did you help yours?
        """),
        replies=(
            ("lighthouse_jo", _ago(8, 20), """
                Please don't feel guilty; it's a shock for both of you. What helped us most was
                letting Mike decide what he wanted to talk about and when. I offered to come to
                appointments, and he took me up on it for some and not others, and that was fine.
            """),
            ("wren_walks", _ago(8, 12), """
                From the other side: the best thing my husband did was keep treating me as me.
                He asked "do you want help?" rather than just doing things for me. And we
                still argue about whose turn it is to walk the dogs, which I find reassuring.
            """),
            ("nurse_amara", _ago(7, 21), """
                Welcome, and you're already doing the most useful thing by asking. A few
                thoughts:

                - If Sam agrees, come to an appointment and write down questions beforehand.
                - National MS charities have good material for partners and families.
                - Look after yourself too: carers need support, sleep and time off as well.

                And it's very common for the person diagnosed to seem calmer than their
                partner at first. It doesn't mean you're doing anything wrong.
            """),
        ),
    ),
    dict(
        author="kestrel",
        category="treatments-and-trials",
        title="Starting my first disease-modifying therapy next month: nervous",
        tags=["dmt", "new-diagnosis"],
        at=_ago(7, 4),
        body=_text("""
            My neurologist and I have talked through a few options and I'm due to start a
            disease-modifying therapy next month. I understand why, but I'm nervous about
            side effects and about having picked the "wrong" one. How did you feel starting
            out, and what do you wish you'd asked?
        """),
        replies=(
            ("dan_the_van", _ago(6, 22), """
                Nervous is normal. I'm on my third treatment in twenty years; the first one
                didn't suit me and we switched. "Wrong" isn't permanent, it's information.
            """),
            ("nurse_amara", _ago(6, 18), """
                It's a big step, and it's good that you chose together with your neurologist.
                I can't comment on a particular medicine here, but questions people often find
                useful to ask their team are:

                1. How is it given, and how often?
                2. What monitoring is needed, such as blood tests or scans?
                3. Which side effects are common, and which should I report straight away?
                4. What about vaccines, infections, and plans for pregnancy?
                5. Who do I contact if I'm worried between appointments?

                Your MS nurse is usually the best first contact once you've started.
            """),
            ("prof_k", _ago(6, 10), """
                Adding one thing to Amara's list: it's fine to ask how your team will judge
                whether the treatment is working, and what would make them suggest a change.
                Knowing the plan tends to make the early months less anxious.
            """),
            ("kestrel", _ago(5, 20), """
                This is so helpful. I've copied the list into my notes app for the appointment.
            """),
        ),
    ),
    dict(
        author="fern_and_fog",
        category="treatments-and-trials",
        title="Overseas clinic offering faecal transplant for MS: has anyone been?",
        tags=["microbiome", "clinics"],
        at=_ago(5, 6),
        body=_text("""
            I've found a private clinic abroad that offers a "microbiome reset" for MS: a
            course of antibiotics followed by several faecal transplants, for about £15,000
            plus travel. Their website has lots of testimonials. Has anyone here been, or
            know someone who has? I'm tempted but it's a lot of money.
        """),
        replies=(
            ("dan_the_van", _ago(5, 3), """
                Fern, please go carefully. Testimonials are not evidence, and clinics
                don't post the stories of people they didn't help.
            """),
            ("prof_k", _ago(4, 22), """
                I understand the temptation, especially when you're reading about the research
                every day. But there is no good evidence that faecal transplants help MS, and
                the procedure has real risks, including serious infections passed on from
                donor stool. Antibiotic courses carry risks of their own.

                If this treatment is ever shown to work, it will be through registered,
                ethics-approved trials, and those don't charge the people who take part. I've
                written more about the science in my article "Gut bacteria and MS: interesting
                science, no proven treatments yet" in Research news. Please talk it through
                with your own MS team before spending anything.
            """),
            ("fern_and_fog", _ago(4, 19), """
                Thank you, both. I think I knew, but I needed someone to say it. I'll take it
                to my next appointment instead.
            """),
        ),
        lock=(
            _ago(4, 18),
            "Locked by the moderators: this thread is about a paid, unproven treatment "
            "offered outside a clinical trial, and we don't host discussion that could "
            "steer members towards one. The questions have been answered above. For the "
            "science, please read and comment on Prof K's article \"Gut bacteria and MS: "
            "interesting science, no proven treatments yet\" in Research news.",
        ),
    ),
    dict(
        author="marigold_m",
        category="ask-an-expert",
        title="Should I be taking vitamin D for my MS?",
        tags=["vitamin-d"],
        at=_ago(3, 5),
        body=_text("""
            A friend says everyone with MS should take high-dose vitamin D, and the shop
            sells capsules in all sorts of strengths. Is there a right answer? I'd rather
            ask here than guess.
        """),
        replies=(
            ("nurse_amara", _ago(2, 21), """
                Good instinct to ask rather than guess. I can't recommend a dose for you here,
                because the right approach depends on your own blood results, other medicines
                and health conditions. What I can say in general:

                - Low vitamin D levels are linked with a higher risk of developing MS, and
                  research is still working out whether taking supplements changes the course
                  of MS once you have it.
                - Your GP or MS team can check your level with a simple blood test.
                - More is not always better: very high doses can raise calcium in the blood,
                  which can cause harm.

                So the best next step is a conversation with your own team, ideally with the
                product you're considering in hand.
            """),
            ("marigold_m", _ago(2, 8), """
                Thank you, that's clear. I'll ask for the blood test at my review next week
                rather than buying the biggest jar in the shop.
            """),
            ("lighthouse_jo", _ago(1, 22), """
                Useful for us too. Mike's been taking something his brother sent him and we
                never told the clinic. Adding it to our list.
            """),
        ),
    ),
    dict(
        author="sleepy_otter",
        category="living-with-ms",
        title="Heat sensitivity: surviving the summer",
        tags=["heat", "symptoms"],
        at=_ago(2, 4),
        body=_text("""
            It's barely warm and already my legs feel like wet sand and my vision goes
            blurry after a hot shower. It settles when I cool down, but it's miserable.
            What are your tricks for getting through summer?
        """),
        replies=(
            ("wren_walks", _ago(1, 23), """
                Dog walks at 7am and after 8pm only. A damp cotton scarf round my neck, and a
                fan pointed at the bed at night.
            """),
            ("dan_the_van", _ago(1, 15), """
                Cooling vest. I felt daft in it the first time and now I'd wear it to a wedding.
                Cold drinks in a flask when I'm out.
            """),
            ("nurse_amara", _ago(0, 9), """
                Lots of good tips. For anyone newer to this: symptoms that flare with heat and
                settle as you cool down are common in MS and usually don't mean a relapse. But
                if new symptoms appear, or don't settle after you've cooled down, and last
                more than a day or so, please contact your MS team.
            """),
            ("sleepy_otter", _ago(0, 3), """
                Ordering a cooling scarf now. And pretending the lake is still cold enough
                for a dip.
            """),
        ),
    ),
)


def load_demo() -> bool:
    """Create the demo community; False, doing nothing, if it is already there."""
    if find_by_username(DEMO_ADMIN) is not None:
        return False
    now = utcnow()
    categories = _create_categories()
    users = _create_users(now)
    threads = sorted((ARTICLE, *DISCUSSIONS), key=lambda spec: spec["at"], reverse=True)
    for spec in threads:
        _create_thread(spec, users, categories, now)
    _moderation_work(users)
    return True


# Something for the moderators to do: an unproven claim to label, two reports and
# a newcomer's first post waiting for approval.
NEWCOMER = ("new_here", "demo-fresh-start", "Just diagnosed, found you via my MS nurse")


def _moderation_work(users: dict[str, User]) -> None:
    from .domain import labels, reports
    from .models import EvidenceLabel, Post, Thread

    clinic = db.session.scalar(select(Thread).where(Thread.title.startswith("Overseas clinic")))
    opening = db.session.scalar(
        select(Post).where(Post.thread_id == clinic.id, Post.is_opening.is_(True)))
    unproven = db.session.scalar(select(EvidenceLabel).where(EvidenceLabel.name.startswith(
        "Unproven")))
    if unproven is not None:  # the label list comes with the migrations
        labels.set_label(opening, users["prof_k"], unproven,
                             "No randomised trial has tested this in MS; see the article on "
                             "gut bacteria for what the research does show.")
    fatigue = db.session.scalar(select(Thread).where(Thread.title.startswith("Fatigue")))
    last = db.session.scalar(select(Post).where(Post.thread_id == fatigue.id)
                             .order_by(Post.id.desc()).limit(1))
    reports.flag_post(last, users["dan_the_van"], "at-risk",
                         "They sound very low at the end; could someone check in?")
    reports.flag_post(opening, users["wren_walks"], "misinformation",
                         "Advertising an unproven paid treatment.")

    username, password, body = NEWCOMER
    newcomer = create_user(username, f"{username.replace('_', '.')}@example.org", password,
                           confirmed=True, display_name="New here")
    add_reply(fatigue, newcomer, body + ". Reading all this helps already, thank you.")


def _create_categories() -> dict[str, Category]:
    categories = {
        slug: Category(slug=slug, name=name, description=description, position=position)
        for position, (slug, name, description) in enumerate(CATEGORIES)
    }
    db.session.add_all(categories.values())
    db.session.commit()
    return categories


def _create_users(now: datetime) -> dict[str, User]:
    users = {}
    for username, role, password in DEMO_ACCOUNTS:
        profile = dict(PROFILES[username])
        joined = now - profile.pop("joined")
        user = create_user(
            username, f"{username.replace('_', '.')}@example.org", password, role,
            established=True, confirmed=True, **profile,
        )
        # Accounts look as if they joined before they posted, not at load time.
        user.created_at = user.confirmed_at = user.established_at = joined
        if user.verification is not None:
            user.verification.requested_at = user.verification.decided_at = joined
        users[username] = user
    db.session.commit()
    return users


def _create_thread(spec: dict, users: dict[str, User], categories: dict[str, Category],
                   now: datetime) -> None:
    author, category = users[spec["author"]], categories[spec["category"]]
    if "summary" in spec:
        thread = publish_article(
            author, category, spec["title"], spec["summary"], spec["body"], spec["tags"],
            references=spec["references"], disclosure=spec["disclosure"],
            at=now - spec["at"],
        )
    else:
        thread = start_discussion(
            author, category, spec["title"], spec["body"], spec["tags"], at=now - spec["at"]
        )
    if "pin" in spec:
        pin_thread(thread, users[MODERATOR], at=now - spec["pin"])
    for username, ago, body in spec["replies"]:
        add_reply(thread, users[username], _text(body), at=now - ago)
    if "lock" in spec:
        ago, reason = spec["lock"]
        lock_thread(thread, users[MODERATOR], reason, at=now - ago)

