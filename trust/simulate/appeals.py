"""Appeals: some accounts whose verification was flagged appeal the decision a few days later.

The simulator does not decide events, so it appeals the verifications most likely restricted
(tampered and mismatched documents: users only see a statement of reasons, and so appeal,
when something was restricted). About half of the
appeals bring new information (a new document photo), the others only protest; an appeal of a
verification the pipeline allowed is refused at intake ("restricted nothing"), as it should.
"""

from __future__ import annotations

from trust.simulate.world import APPEAL, DAY, HOUR, Planted, World

# Share of the flagged-looking verifications that are appealed, per pattern.
APPEAL_SHARE: dict[str, float] = {
    "document_tampering": 0.5,
    "identity_mismatch": 0.5,
}
NEW_INFORMATION = (
    "My passport was renewed last month; the photo you have is of the old one.",
    "The name differs because I married; here is the marriage certificate.",
    "The selfie failed because of poor light; here is a new one taken in daylight.",
)
PROTEST = (
    "This is a mistake. I am who I say I am.",
    "I did nothing wrong, please unblock my account.",
    "",
)


def appeal_restrictions(world: World) -> None:
    """Plant appeals against some verifications (each account appeals once at most)."""
    rng = world.rng
    appealed: set[str] = set()
    candidates = [
        p
        for p in world.planted
        if p.record.get("kind") == "profile_verification" and p.pattern in APPEAL_SHARE
    ]
    for target in candidates:
        account_id = str(target.record["account_id"])
        if account_id in appealed or rng.random() >= APPEAL_SHARE[target.pattern]:
            continue
        appealed.add(account_id)
        _appeal(world, target, account_id, new_information=rng.random() < 0.5)


def _appeal(world: World, target: Planted, account_id: str, *, new_information: bool) -> None:
    rng = world.rng
    ts = target.ts + rng.randrange(2 * HOUR, 6 * DAY)
    record: dict[str, object] = {"kind": "appeal", "account_id": account_id}
    if new_information:
        record["new_information"] = rng.choice(NEW_INFORMATION)
        record["evidence_refs"] = [world.new_id("file-", 32)]
    else:
        record["new_information"] = rng.choice(PROTEST)
    world.emit(ts, record, APPEAL, appeals=target.seq)
