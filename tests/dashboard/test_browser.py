"""One real-browser smoke test: sign in, claim the top case, resolve it, find it audited.

Drives Debian's Chromium through Playwright (a browser download is impossible here), against
``streamlit run dashboard/app.py`` on a free 127.0.0.1 port and a temp store seeded with one
flagged case. AppTest covers the logic; this covers what only a browser sees: the served
app, the sign-in form, navigation and the widgets' real DOM.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import service_missing
from tests.dashboard.conftest import APP, PASSWORD
from tests.dashboard.disputes import both_parties_accept, open_dispute
from trust.settings import Settings
from workers.up import dashboard_command

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_SECONDS = 90
STEP_MS = 30_000


@pytest.fixture(autouse=True)
def _patient_expectations() -> None:
    """``expect`` waits as long as a page action does: its own 5 s default failed a search
    that a loaded machine answered later, though nothing was wrong."""
    from playwright.sync_api import expect

    expect.set_options(timeout=STEP_MS)


def _settled(page: Any) -> None:
    """Wait until the app's script run is over, so a screenshot shows finished elements."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')


def _find(page: Any, query: str, where: str = "stSidebar") -> None:
    """Search for an account from the box in ``where`` (the sidebar or the main area).

    Enter is pressed once Streamlit shows "Press Enter to submit form", that is once the box
    holds the typed text: pressed earlier, on a page still drawing, the form went off empty.
    """
    from playwright.sync_api import expect

    _settled(page)
    area = page.get_by_test_id(where)
    box = area.get_by_label("Find an account")
    box.fill(query)
    expect(area.get_by_text("Press Enter to submit form")).to_be_visible()
    box.press("Enter")
    _settled(page)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"streamlit did not answer on {url} within {STARTUP_SECONDS} s")


@pytest.fixture
def chromium_path() -> str:
    """Debian's Chromium, or a skip (a failure in CI) saying how to get it."""
    path = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if not path:
        service_missing("Chromium", "install Debian's package: apt-get install -y chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        service_missing("Playwright's Python package", exc)
    return str(path)


@contextmanager
def _streamlit(tmp_path: Path) -> Iterator[str]:
    """``streamlit run`` of the dashboard on a free 127.0.0.1 port; yields its address."""
    port = _free_port()
    log = (tmp_path / "streamlit.log").open("wb")
    # The command `trust up` runs, flags and all.
    command = dashboard_command(Settings(bind_host="127.0.0.1", dashboard_port=port))
    assert command[4] == str(APP)
    server = subprocess.Popen(command, env={**os.environ}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture
def served_dashboard(dashboard_store, staff, seeded, tmp_path: Path) -> Iterator[str]:
    """The dashboard served by ``streamlit run`` over a store with staff and one flagged case."""
    staff("smoke-lead", "lead")
    staff("smoke-admin", "admin")
    seeded(1)
    with _streamlit(tmp_path) as url:
        yield url


@pytest.fixture
def served_appeal(dashboard_store, staff, appealed, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """The dashboard over a store where a confirmed automated block has just been appealed."""
    staff("appeal-lead", "lead")
    case_id = appealed("acct-appellant")
    with _streamlit(tmp_path) as url:
        yield url, case_id


@pytest.fixture
def served_takeover(
    dashboard_store, staff, taken_over, tmp_path: Path
) -> Iterator[tuple[str, int]]:
    """The dashboard over an account taken over, its withdrawal refused and the account held."""
    staff("payments-lead", "lead")
    case_id = taken_over()
    with _streamlit(tmp_path) as url:
        yield url, case_id


@pytest.fixture
def served_dispute(dashboard_store, staff, tmp_path: Path) -> Iterator[str]:
    """The dashboard over one dispute in mediation: both parties answered with evidence."""
    staff("mediator", "lead")
    staff("approver", "lead")
    open_dispute(dashboard_store, stage="mediation")
    with _streamlit(tmp_path) as url:
        yield url


def _choose(page: Any, label: str, option: str) -> None:
    """Pick ``option`` in the Streamlit select box labelled ``label``."""
    from playwright.sync_api import expect

    box = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True))
    # Focus, type to filter the list down to the option, then click it.
    box.get_by_role("combobox").click()
    box.get_by_role("combobox").fill(option)
    page.get_by_role("option", name=option, exact=True).click()
    expect(box.get_by_role("combobox")).to_have_value(option)
    _settled(page)


def _until_shown(page: Any, locator: Any, rerun: Any, seconds: float = 60) -> None:
    """Rerun the page until ``locator`` is visible (other people's changes show up once the
    cached reads expire), failing after ``seconds``."""
    from playwright.sync_api import expect

    deadline = time.monotonic() + seconds
    while not locator.is_visible() and time.monotonic() < deadline:
        page.wait_for_timeout(2_000)
        rerun()
        _settled(page)
    expect(locator).to_be_visible()


def _press_until_shown(page: Any, key: str, locator: Any, tries: int = 3) -> None:
    """Press ``key`` until ``locator`` shows: the shortcut listener is re-attached after each
    rerun, and a key pressed before it is back is lost (seen once in CI)."""
    for _ in range(tries):
        page.keyboard.press(key)
        try:
            locator.wait_for(state="visible", timeout=STEP_MS)
            return
        except Exception:  # playwright's TimeoutError: not attached yet, press again
            _settled(page)


def _sign_in(page: Any, username: str) -> None:
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_reviewer_signs_in_claims_resolves_and_finds_it_in_the_audit_log(
    chromium_path: str, served_dashboard: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.set_default_timeout(STEP_MS)
        try:
            page.goto(served_dashboard)
            _sign_in(page, "smoke-lead")
            expect(page.get_by_role("heading", name="Queue", exact=True)).to_be_visible()
            # The table and the widgets under it load their code lazily on first use.
            expect(page.get_by_label("Page", exact=True)).to_be_visible()
            _settled(page)
            page.screenshot(path=str(tmp_path / "1-queue.png"), full_page=True)

            # Selecting a row shows its priority in parts (the grid has no per-cell hover).
            grid = page.get_by_test_id("stDataFrame").last.bounding_box()
            assert grid is not None
            page.mouse.click(grid["x"] + 16, grid["y"] + 35 + 17)
            expect(
                page.get_by_text(re.compile(r"risk \d+ \+ severity \d+ \+ money"))
            ).to_be_visible()
            _settled(page)

            page.get_by_role("button", name="Claim next").click()
            expect(page.get_by_text("You claimed case #1.")).to_be_visible()
            expect(page.get_by_text("Rules that matched").first).to_be_visible()
            _settled(page)
            page.screenshot(path=str(tmp_path / "2-case-claimed.png"), full_page=True)
            _choose(page, "What do you decide?", "Dismiss as a false positive")
            _choose(
                page,
                "Reason",
                "The flag was wrong: nothing suspicious on a closer look (false_positive)",
            )
            page.get_by_label("Note for the record").fill("Checked in the browser smoke test.")
            page.get_by_role("button", name="Resolve", exact=True).click()
            expect(page.get_by_text("Case #1 resolved")).to_be_visible()
            _settled(page)
            page.get_by_role("tab", name="History").click()
            history = page.locator("table")
            expect(history.get_by_text("resolved", exact=True)).to_be_visible()
            _settled(page)
            page.screenshot(path=str(tmp_path / "3-case-resolved.png"), full_page=True)

            page.get_by_role("button", name="Sign out").click()
            _sign_in(page, "smoke-admin")
            page.get_by_role("link", name="Admin").click()
            page.get_by_role("tab", name="Audit log").click()
            page.get_by_label("On (e.g. case 12, staff 3)").fill("case 1")
            page.keyboard.press("Enter")
            audit = page.locator("table")
            expect(audit.get_by_text("resolved", exact=True)).to_be_visible()
            expect(audit.get_by_text("smoke-lead").first).to_be_visible()
            _settled(page)
            page.screenshot(path=str(tmp_path / "4-audit.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    assert (tmp_path / "4-audit.png").stat().st_size > 0


def test_an_appeal_is_walked_from_intake_to_overturn_and_the_account_is_free_again(
    chromium_path: str, served_appeal: tuple[str, int], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, case_id = served_appeal
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.set_default_timeout(STEP_MS)
        try:
            page.goto(url)
            _sign_in(page, "appeal-lead")
            expect(page.get_by_role("heading", name="Queue", exact=True)).to_be_visible()
            page.get_by_role("link", name="Case", exact=True).click()
            page.get_by_label("Open case number").fill(str(case_id))
            page.keyboard.press("Enter")
            expect(page.get_by_text("Enforcement in force on the account:")).to_be_visible()
            expect(page.get_by_text("may not review the appeal): first-lead")).to_be_visible()
            page.get_by_role("button", name="Claim this case").click()
            expect(page.get_by_text(f"You claimed case #{case_id}.")).to_be_visible()
            _settled(page)
            page.screenshot(path=str(tmp_path / "1-appeal-claimed.png"), full_page=True)

            page.get_by_text(
                "Overturn: lift the enforcement and mark the decision overturned"
            ).click()
            _settled(page)
            _choose(
                page,
                "Ground",
                "The user brought information the original decision did not have (new_information)",
            )
            page.get_by_label("What you checked (goes into the statement of reasons)").fill(
                "The renewed passport is genuine."
            )
            page.get_by_role("button", name="Decide the appeal").click()
            expect(page.get_by_text("overturned; the account is now none")).to_be_visible()
            expect(
                page.get_by_text("Your account now: no restriction.", exact=False)
            ).to_be_visible()
            _settled(page)
            page.screenshot(path=str(tmp_path / "2-appeal-overturned.png"), full_page=True)

            page.get_by_role("link", name="Accounts").click()
            _find(page, "acct-appellant", "stMain")
            expect(page.get_by_text("Enforcement: none")).to_be_visible()
            page.get_by_role("tab", name="Enforcement").click()
            _settled(page)
            page.screenshot(path=str(tmp_path / "3-account-free.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    assert (tmp_path / "3-account-free.png").stat().st_size > 0


def test_a_takeover_case_is_claimed_read_as_one_chain_and_cleared_releasing_the_hold(
    chromium_path: str, served_takeover: tuple[str, int], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, case_id = served_takeover
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.set_default_timeout(STEP_MS)
        try:
            page.goto(url)
            _sign_in(page, "payments-lead")
            expect(page.get_by_role("heading", name="Queue", exact=True)).to_be_visible()
            page.get_by_role("link", name="Accounts").click()
            _find(page, "acct-alice", "stMain")
            expect(page.get_by_text("Enforcement: hold")).to_be_visible()

            page.get_by_role("link", name="Case", exact=True).click()
            page.get_by_label("Open case number").fill(str(case_id))
            page.keyboard.press("Enter")
            expect(page.get_by_text("takeover_chain").first).to_be_visible()
            page.get_by_role("button", name="Claim this case").click()
            expect(page.get_by_text(f"You claimed case #{case_id}.")).to_be_visible()
            page.get_by_role("tab", name="Subject's timeline").click()
            expect(
                page.get_by_text("Sign-ins, credential and payout changes, withdrawals")
            ).to_be_visible()
            _settled(page)
            page.screenshot(path=str(tmp_path / "1-takeover-chain.png"), full_page=True)

            _choose(page, "What do you decide?", "Dismiss as a false positive")
            # A dismissal's first reason is the flag being wrong: it is already chosen.
            reason = page.get_by_test_id("stSelectbox").filter(
                has=page.get_by_text("Reason", exact=True)
            )
            expect(reason.get_by_role("combobox")).to_have_value(
                "The flag was wrong: nothing suspicious on a closer look (false_positive)"
            )
            page.get_by_label("Note for the record").fill("Owner confirmed the trip and bank.")
            page.get_by_role("button", name="Resolve", exact=True).click()
            expect(page.get_by_text(f"Case #{case_id} resolved")).to_be_visible()
            _settled(page)

            page.get_by_role("link", name="Accounts").click()
            _find(page, "acct-alice", "stMain")
            expect(page.get_by_text("Enforcement: none")).to_be_visible()
            _settled(page)
            page.screenshot(path=str(tmp_path / "2-hold-released.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    assert (tmp_path / "2-hold-released.png").stat().st_size > 0


def _leaves_the_machine(url: str, served: str) -> bool:
    return not (
        url.startswith(served)
        or url.startswith(served.replace("http", "ws", 1))
        or url.startswith(("data:", "blob:"))
    )


def test_no_request_leaves_the_machine_and_visitors_get_no_developer_menu(
    chromium_path: str, served_dashboard: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.set_default_timeout(STEP_MS)
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        try:
            page.goto(served_dashboard)
            _settled(page)
            # An anonymous visitor: no "Deploy", no menu with "Clear cache" or "Rerun".
            assert page.get_by_test_id("stMainMenu").count() == 0
            assert page.get_by_test_id("stAppDeployButton").count() == 0
            _sign_in(page, "smoke-lead")
            expect(page.get_by_role("heading", name="Queue", exact=True)).to_be_visible()
            expect(page.get_by_label("Page", exact=True)).to_be_visible()
            _settled(page)
            page.get_by_role("button", name="Claim next").click()  # opens the case screen
            expect(page.get_by_text("You claimed case #1.")).to_be_visible()
            _settled(page)
            page.wait_for_timeout(1_000)  # late fetches: fonts, icons
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    assert requested
    assert [u for u in requested if _leaves_the_machine(u, served_dashboard)] == []


def test_a_dispute_goes_from_both_parties_evidence_to_a_four_eyes_split(
    chromium_path: str, served_dispute: str, dashboard_store, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        page.set_default_timeout(STEP_MS)
        try:
            page.goto(served_dispute)
            _sign_in(page, "mediator")
            expect(page.get_by_label("Page", exact=True)).to_be_visible()
            _settled(page)
            page.get_by_role("button", name="Claim next").click()
            expect(page.get_by_text("You claimed case #1.")).to_be_visible()
            # One contract's money, and both parties' evidence with openable attachments.
            expect(page.get_by_text("800.00 USD").first).to_be_visible()
            expect(page.get_by_text("Mediation: a settlement is to be proposed")).to_be_visible()
            attachments = page.get_by_role("link", name="delivery.pdf")
            expect(attachments).to_have_count(2)
            expect(attachments.first).to_have_attribute(
                "href", "https://files.example.com/att/delivery.pdf"
            )
            _settled(page)
            page.screenshot(path=str(tmp_path / "1-dispute-evidence.png"), full_page=True)

            release = page.get_by_label("Released to the freelancer (USD)")
            release.fill("500.00")
            release.press("Enter")
            _settled(page)
            expect(page.get_by_text("Refunded to the client: 300.00 USD")).to_be_visible()
            page.get_by_role("button", name="Send the proposal to both parties").click()
            expect(
                page.get_by_text("Proposal sent: 500.00 released, 300.00 refunded USD.")
            ).to_be_visible()
            _settled(page)
            page.screenshot(path=str(tmp_path / "2-proposal-sent.png"), full_page=True)

            both_parties_accept(dashboard_store)  # their answers arrive as events
            page.get_by_role("button", name="Sign out").click()
            _sign_in(page, "approver")
            page.get_by_role("link", name="Case").click()
            number = page.get_by_label("Open case number")
            number.fill("1")
            number.press("Enter")
            # Reads are cached for a few seconds: the parties' answers show up on a rerun.
            _until_shown(
                page,
                page.get_by_text("mediator proposed"),
                lambda: page.get_by_role("link", name="Case").click(),
            )
            _settled(page)
            page.get_by_role("button", name="Approve").click()
            expect(page.get_by_text("Approved: case #1 is resolved")).to_be_visible()
            expect(
                page.get_by_text(
                    "Released 500.00 USD to the freelancer, refunded 300.00 USD to the client."
                )
            ).to_be_visible()
            _settled(page)
            page.screenshot(path=str(tmp_path / "3-split-approved.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    assert (tmp_path / "3-split-approved.png").stat().st_size > 0


@pytest.fixture
def served_analyst_day(dashboard_store, staff, seeded, tmp_path: Path) -> Iterator[str]:
    """A store with a planted account (e-mail, payment fingerprint), a linked twin sharing its
    document, open cases (one complaint with an attachment on disk) and a lead."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from tests.conftest import TEST_SECRET
    from tests.dashboard.conftest import first_case_of_kind
    from tests.factories import make_profile_verification
    from trust.identifiers import identifiers_of
    from trust.pii import PiiHasher
    from trust.store import transaction
    from trust.store.accounts import record_accounts, record_identifiers
    from trust.store.tables import case_evidence

    staff("day-lead", "lead")
    seeded(8)
    planted = make_profile_verification(
        account_id="acct-planted",
        profile={"email": "planted.person@example.org"},
        payment_fingerprint="pm-planted-42",
    )
    twin = make_profile_verification(
        account_id="acct-twin",
        profile={"email": "twin@example.net", "phone": "+15550001234"},
        payment_fingerprint="pm-twin-9",
        network={"ip": "192.0.2.9", "device_id": "dev-twin"},
    )
    with transaction(dashboard_store.engine) as conn:
        record_accounts(conn, [planted, twin])
        for event in (planted, twin):
            record_identifiers(
                conn,
                identifiers_of(event, PiiHasher(TEST_SECRET.encode())),
                seen_at=datetime.now(UTC),
                event_id=event.event_id,
            )
    complaint = first_case_of_kind(dashboard_store, "complaint")
    with transaction(dashboard_store.engine) as conn:
        event_id = (
            conn.execute(
                select(case_evidence.c.event_id).where(case_evidence.c.case_id == complaint)
            )
            .scalars()
            .first()
        )
    folder = tmp_path / "data" / "attachments"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"att-{event_id}.png").write_bytes(PNG_1PX)
    with _streamlit(tmp_path) as url:
        yield f"{url}|{complaint}|att-{event_id}"


PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a4bd0000000049454e44ae426082"
)


def test_an_analysts_day_search_link_hold_attachment_and_three_cases_by_keyboard(
    chromium_path: str, served_analyst_day: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, complaint, ref = served_analyst_day.split("|")
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.set_default_timeout(STEP_MS)
        try:
            page.goto(url)
            _sign_in(page, "day-lead")
            expect(page.get_by_role("heading", name="Queue", exact=True)).to_be_visible()

            # Find the account by a planted e-mail, then by its payment fingerprint.
            _find(page, "Planted.Person@example.org")
            expect(page.get_by_role("heading", name="Accounts", exact=True)).to_be_visible()
            expect(page.get_by_text("acct-planted · Alice W.")).to_be_visible()
            _find(page, "pm-planted-42")
            expect(page.get_by_text("acct-planted · Alice W.")).to_be_visible()
            _settled(page)
            page.screenshot(path=str(tmp_path / "1-found.png"), full_page=True)

            # Its linked accounts, grouped with their ties; hold the twin.
            page.get_by_role("tab", name="Linked accounts (1)").click()
            chooser = page.get_by_test_id("stMultiSelect").filter(
                has=page.get_by_text("Accounts to act on", exact=True)
            )
            chooser.get_by_role("combobox").click()
            page.get_by_role("option", name="acct-twin · document also on acct-twin").click()
            page.keyboard.press("Escape")
            _settled(page)
            page.get_by_text("Hold now").click()
            page.get_by_label("Reason", exact=True).fill("same passport as acct-planted")
            page.keyboard.press("Enter")
            _settled(page)
            page.get_by_role("button", name="Apply to the chosen accounts").click()
            expect(page.get_by_text("Held 1 account(s).")).to_be_visible()
            _settled(page)
            page.screenshot(path=str(tmp_path / "2-held.png"), full_page=True)

            # Open an attachment on a complaint case.
            page.get_by_role("link", name="Case", exact=True).click()
            page.get_by_label("Open case number").fill(complaint)
            page.keyboard.press("Enter")
            page.get_by_role("button", name=f"Open {ref}").click()
            expect(page.get_by_text("opened (recorded in the audit log)")).to_be_visible()
            expect(page.get_by_test_id("stImage").first).to_be_visible()
            _settled(page)
            page.screenshot(path=str(tmp_path / "3-attachment.png"), full_page=True)

            # Three cases, keyboard only: next, decision, resolve.
            page.get_by_role("link", name="Queue", exact=True).click()
            _settled(page)
            for done in range(3):
                _press_until_shown(page, "Alt+n", page.get_by_text("You claimed case #"))
                expect(page.get_by_text("You claimed case #")).to_be_visible()
                _settled(page)
                _press_until_shown(
                    page, "Alt+d", page.get_by_text("resolved: Dismiss as a false positive")
                )
                expect(page.get_by_text("resolved: Dismiss as a false positive")).to_be_visible()
                _settled(page)
                page.screenshot(path=str(tmp_path / f"4-keyboard-{done}.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    assert (tmp_path / "4-keyboard-2.png").stat().st_size > 0


@pytest.fixture
def served_all_screens(dashboard_store, staff, seeded, tmp_path: Path) -> Iterator[str]:
    """The dashboard with an admin and a lead, open cases and a refused record."""
    from datetime import UTC, datetime

    from trust.store import transaction
    from trust.store.quarantine import QuarantinedRecord, quarantine_records

    staff("wide-admin", "admin")
    seeded(30)
    record = QuarantinedRecord(
        source="upload.jsonl",
        line_number=7,
        raw='{"kind": "review", "email": "x.y@mail.com"}',
        errors=[{"field": "rating", "message": "field required"}],
        reason="rating: field required",
    )
    with transaction(dashboard_store.engine) as conn:
        quarantine_records(conn, [record], received_at=datetime.now(UTC))
    with _streamlit(tmp_path) as url:
        yield url


# How far each table's content is wider than its frame (0 when every column shows).
OVERFLOW_JS = """() => Array.from(document.querySelectorAll(
    '[data-testid="stDataFrame"] .dvn-scroller, [data-testid="stTable"]'))
  .filter(e => e.offsetParent !== null)
  .map(e => e.scrollWidth - e.clientWidth)"""


def test_every_screen_shows_its_table_columns_at_1280_px(
    chromium_path: str, served_all_screens: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    overflows: dict[str, list[int]] = {}
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1200})
        page.set_default_timeout(STEP_MS)
        try:
            page.goto(served_all_screens)
            _sign_in(page, "wide-admin")
            expect(page.get_by_role("heading", name="Queue", exact=True)).to_be_visible()
            for link in (
                "Queue",
                "Case",
                "Awaiting my approval",
                "Accounts",
                "Quality review",
                "Rules",
                "Refused input",
                "Metrics",
                "Admin",
                "Webhooks",
            ):
                page.get_by_role("link", name=link, exact=True).click()
                _settled(page)
                if link == "Case":
                    page.get_by_label("Open case number").fill("1")
                    page.keyboard.press("Enter")
                if link == "Accounts":
                    _find(page, "seed-")
                _settled(page)
                page.wait_for_timeout(500)
                page.screenshot(path=str(tmp_path / f"1280-{link}.png"), full_page=True)
                overflows[link] = page.evaluate(OVERFLOW_JS)
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    assert any(overflows.values()), "no table was measured"
    assert {k: v for k, v in overflows.items() if any(px > 0 for px in v)} == {}
