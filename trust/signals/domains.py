"""E-mail domain lists as data: free web-mail providers and disposable inbox services."""

from __future__ import annotations

# Free web-mail: anyone can open an address here, so it says nothing about a company.
FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "hotmail.co.uk",
        "live.com",
        "msn.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "ymail.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "mail.ru",
        "yandex.ru",
        "yandex.com",
        "zoho.com",
        "qq.com",
        "163.com",
        "126.com",
        "tutanota.com",
        "tuta.io",
        "fastmail.com",
        "hey.com",
        "rediffmail.com",
        "libero.it",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "t-online.de",
        "seznam.cz",
        "wp.pl",
        "o2.pl",
        "interia.pl",
        "ukr.net",
        "bk.ru",
        "inbox.ru",
        "list.ru",
    }
)

# Disposable inboxes: addresses that exist for minutes, a strong sign of a throw-away identity.
DISPOSABLE_DOMAINS: frozenset[str] = frozenset(
    {
        "mailinator.com",
        "guerrillamail.com",
        "guerrillamail.net",
        "sharklasers.com",
        "10minutemail.com",
        "10minutemail.net",
        "tempmail.com",
        "temp-mail.org",
        "tempmail.net",
        "throwawaymail.com",
        "yopmail.com",
        "yopmail.fr",
        "trashmail.com",
        "getnada.com",
        "dispostable.com",
        "maildrop.cc",
        "mintemail.com",
        "fakeinbox.com",
        "mohmal.com",
        "emailondeck.com",
        "spamgourmet.com",
        "mytemp.email",
        "tempr.email",
        "discard.email",
        "burnermail.io",
        "moakt.com",
        "tmpmail.org",
        "tmail.ws",
        "grr.la",
        "mailnesia.com",
    }
)


def is_free_mail(domain: str | None) -> bool | None:
    """True for a free web-mail domain (None when there is no domain)."""
    return None if not domain else domain.lower() in FREE_MAIL_DOMAINS


def is_disposable(domain: str | None) -> bool | None:
    """True for a disposable inbox service (None when there is no domain)."""
    return None if not domain else domain.lower() in DISPOSABLE_DOMAINS
