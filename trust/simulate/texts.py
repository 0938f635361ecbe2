"""What simulated people write: review texts, complaint descriptions, reference answers."""

from __future__ import annotations

import random

# Honest feedback is composed from parts so that two honest reviews rarely read the same.
_OPENERS: dict[int, tuple[str, ...]] = {
    5: (
        "Excellent work.",
        "Fantastic experience.",
        "Great job on the {topic}.",
        "Really happy.",
        "Top freelancer for {topic} work.",
        "Second project together and just as good.",
    ),
    4: (
        "Good work overall.",
        "Solid job on the {topic}.",
        "Happy with the result.",
        "Nice to work with.",
    ),
    3: ("Mixed experience.", "The {topic} was acceptable.", "OK for the price.", "Average result."),
    2: (
        "Disappointing.",
        "The {topic} was below what the portfolio suggested.",
        "Not what we expected.",
    ),
    1: ("Very disappointed.", "Would not recommend.", "Did not deliver the {topic}."),
}
_DETAILS: dict[int, tuple[str, ...]] = {
    5: (
        "Delivered ahead of schedule",
        "Communication was clear every day",
        "Understood the brief immediately",
        "Went beyond what we asked",
        "Quick to fix the small issues we found",
        "Very organised and proactive",
    ),
    4: (
        "a couple of revisions were needed",
        "delivery slipped by a few days",
        "communication could have been quicker",
        "needed some guidance at the start",
    ),
    3: (
        "lots of back and forth",
        "deadlines slipped twice",
        "had to rework part of it",
        "answers took a while",
    ),
    2: (
        "missed the deadline",
        "our team had to redo much of it",
        "requirements kept changing",
        "payment came late",
    ),
    1: (
        "unresponsive for a week",
        "had to hire someone else to finish",
        "the agreed scope was ignored",
        "nothing usable was delivered",
    ),
}
_CLOSINGS: dict[int, tuple[str, ...]] = {
    5: ("Will hire again!", "Highly recommended.", "Thank you!", "", "Five stars."),
    4: ("Would work together again.", "Recommended.", ""),
    3: ("", "Fine for small tasks."),
    2: ("", "Expected more."),
    1: ("", "Avoid."),
}
_TOPICS = (
    "website",
    "logo",
    "translation",
    "app",
    "design",
    "copy",
    "data work",
    "videos",
    "bookkeeping",
    "integration",
    "landing page",
    "research",
    "migration",
)


def review_text(rng: random.Random, rating: int) -> str:
    """An honest-sounding review text for a rating (a few people leave none)."""
    if rating >= 4 and rng.random() < 0.12:
        return ""
    topic = rng.choice(_TOPICS)
    opener = rng.choice(_OPENERS[rating]).format(topic=topic)
    joiner = " but " if rating in (3, 4) else ": " if rating <= 2 else ". "
    detail = rng.choice(_DETAILS[rating])
    closing = rng.choice(_CLOSINGS[rating])
    return f"{opener.rstrip('.')}{joiner}{detail}. {closing}".strip()


RATING_WEIGHTS = (4, 4, 7, 20, 65)  # 1..5 stars, as honest feedback is really distributed

COMPLAINT_TEXTS: dict[str, tuple[str, ...]] = {
    "quality": (
        "The delivered design does not match the agreed mock-ups.",
        "The code does not run and the freelancer refuses to fix it.",
        "Translation is full of errors; I had to pay someone to redo it.",
    ),
    "late_payment": (
        "Milestone was approved 10 days ago but payment is still pending.",
        "Client keeps promising to release the payment next week.",
    ),
    "non_payment": (
        "I delivered the final files and the client stopped responding.",
        "Work was accepted but the milestone was never released.",
    ),
    "scope": (
        "Client keeps adding features that were not in the original contract.",
        "Freelancer delivered only half of the agreed pages.",
    ),
    "communication": (
        "No reply for 9 days during an active contract.",
        "I sent the files by email as agreed and he says he never got them.",
        "We agreed on a call and the other side did not show up twice.",
        "Asked for a quick Zoom call to clarify the requirements; no answer for days.",
    ),
    "harassment": ("Received insulting messages after asking for a revision.",),
    "fake_review": ("This review was left by someone who never worked with me.",),
    "other": ("Please check this contract, something is not right with the hours logged.",),
}
HONEST_COMPLAINT_WEIGHTS: dict[str, int] = {
    "quality": 30,
    "late_payment": 16,
    "non_payment": 10,
    "scope": 16,
    "communication": 18,
    "harassment": 4,
    "fake_review": 2,
    "other": 4,
}

REFERENCE_TEXTS = (
    "Reliable and skilled, delivered our site redesign on time.",
    "Worked with us for several months on data cleaning; good results.",
    "Good developer, occasionally needed reminders about deadlines.",
    "Great designer, we still use the brand kit.",
)
PROJECT_TITLES = (
    "E-commerce site rebuild",
    "Brand identity refresh",
    "Mobile app MVP",
    "SEO audit",
    "Data migration",
    "Marketing copy for launch",
    "Bookkeeping clean-up",
    "Video series edit",
)
REFEREE_ROLES = ("CEO", "Founder", "Marketing manager", "CTO", "Product owner", "Director")

# Fraud phrasings: what the rules look for (see SPEC section 2).
EXTORTION_TEXTS = (
    "Client told me: 5 stars or I dispute the whole payment.",
    "He said he will leave 1 star unless I refund half of the milestone.",
    "I was told to give a perfect review or the escrow would be disputed.",
    "Buyer demands extra work for free, otherwise a bad review and a chargeback.",
)
COERCED_REVIEW_TEXTS = (
    "Changing to 5 stars because the freelancer agreed to refund part of the fee.",
    "Terrible. Refund me and I will change this review.",
    "Gave 5 stars in exchange for a bonus, as agreed.",
    "1 star until you give me my money back.",
)
RING_TEXTS = (
    "Amazing!!! Best freelancer ever, 100% recommended!!!",
    "Top quality, super fast, five stars!",
    "Perfect job as always, highly recommend!!",
    "Outstanding work, will hire again for sure!",
)


def off_platform_text(rng: random.Random, first: str) -> str:
    """A complaint describing a request to move payment or contact off the platform."""
    handle = f"{first.lower()}{rng.randrange(10, 999)}"
    options = (
        f"He asked me to pay the rest via PayPal to {handle}@gmail.com to avoid the fees.",
        f"Client wants to continue on Telegram @{handle} and pay outside the platform.",
        f"Freelancer insists on WhatsApp +44 7{rng.randrange(10**8, 10**9)} for payment.",
        f"Asked to send USDT to wallet 0x{rng.getrandbits(160):040x} instead of escrow.",
        f"Was told to email {handle}@proton.me and pay by bank transfer directly.",
        f"He wants bitcoin to bc1q{rng.getrandbits(120):030x} for the next milestone.",
    )
    return rng.choice(options)


def serial_complaint_text(rng: random.Random) -> tuple[str, str]:
    """A (category, description) of the low-effort kind serial complainers file."""
    return rng.choice(
        (
            ("quality", "Work is bad. I want my money back."),
            ("scope", "Did not do what I asked. Refund."),
            ("fake_review", "Their reviews are fake, check them."),
            ("communication", "Never answers. Unprofessional."),
            ("quality", "Not satisfied, requesting full refund again."),
        )
    )


def non_payment_text(rng: random.Random, days_overdue: int) -> str:
    """A non-payment complaint naming the overdue milestone."""
    return rng.choice(
        (
            f"Milestone submitted {days_overdue} days ago, escrow never funded, client gone.",
            f"Client had me start before funding escrow; {days_overdue} days later no payment.",
            f"Delivered everything, milestone overdue by {days_overdue} days, no response.",
        )
    )


SCAM_TEXTS = (
    "Paid the first milestone and the freelancer vanished with the money.",
    "Delivered files were stolen from a public template; account stopped answering.",
    "Took the advance, sent nothing, and blocked me on every channel.",
)

# Evasive coercion (``trust simulate --adversarial``): the same threats and trades, written
# the way people actually write them, sharing no wording with the phrasings above.
EVASIVE_EXTORTION_TEXTS = (
    "Buyer says my profile score drops to the floor if I don't send back forty percent.",
    "They threatened to tank my public mark unless the last invoice was waived.",
    "Customer wants free revisions, else they trash me on my page and reverse the card.",
    "Was pressured to hand back some money so my profile would not get a poor mark.",
)
EVASIVE_COERCED_REVIEW_TEXTS = (
    "Bumped this up to top marks after they sent back a chunk of the invoice.",
    "Lowest mark stays here till the cash comes back to my account.",
    "Top marks as promised for the extra discount on the next job.",
    "Will fix my score once the invoice is reversed.",
)
