"""What simulated people write: review texts, complaint descriptions, reference answers."""

from __future__ import annotations

import random

REVIEW_TEXTS: dict[int, tuple[str, ...]] = {
    5: (
        "Excellent work, delivered ahead of schedule. Will hire again.",
        "Great communication throughout and the result exceeded what we asked for.",
        "Very professional, understood the brief immediately. Highly recommended.",
        "Fast, accurate and friendly. Thank you!",
        "Second project together and just as good as the first.",
        "Solid work and clear updates every day.",
        "",
    ),
    4: (
        "Good work overall, a couple of revisions were needed.",
        "Delivered what we agreed, slightly later than planned.",
        "Nice to work with; communication could have been quicker.",
        "",
    ),
    3: (
        "The work was acceptable but needed a lot of back and forth.",
        "Average result, deadlines slipped twice.",
        "OK for the price.",
    ),
    2: (
        "Quality was below what the portfolio suggested.",
        "Missed the deadline and the code needed rework by our team.",
        "Requirements changed constantly and payment came late.",
    ),
    1: (
        "Did not deliver what was agreed. Very disappointed.",
        "Unresponsive for a week, had to find someone else to finish.",
        "Would not recommend; the client ignored the agreed scope.",
    ),
}
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
    "quality": 30, "late_payment": 16, "non_payment": 10, "scope": 16, "communication": 18,
    "harassment": 4, "fake_review": 2, "other": 4,
}

REFERENCE_TEXTS = (
    "Reliable and skilled, delivered our site redesign on time.",
    "Worked with us for several months on data cleaning; good results.",
    "Good developer, occasionally needed reminders about deadlines.",
    "Great designer, we still use the brand kit.",
)
PROJECT_TITLES = (
    "E-commerce site rebuild", "Brand identity refresh", "Mobile app MVP", "SEO audit",
    "Data migration", "Marketing copy for launch", "Bookkeeping clean-up", "Video series edit",
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
