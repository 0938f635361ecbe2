"""The CLI's one error boundary: a known failure becomes one line, a hint and an exit code.

Every command runs inside ``GuardedGroup.invoke``; whatever it raises is explained here::

    exit code  meaning                                  raised as
    0          done
    1          refused: the command ran and said no     TrustError (most), a refused event
    2          usage: a bad option, argument or file    click usage errors, InputFileError,
                                                        OSError naming a file
    3          configuration refused                    ConfigurationError, invalid settings
    4          a service is unreachable                 StoreError, database and Redis faults
    70         internal error (a bug: please report it) anything else

``trust --debug COMMAND`` lets the exception through, so its traceback is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import typer
from typer.core import TyperGroup

from trust.errors import (
    AuthenticationError,
    ConfigurationError,
    InputFileError,
    PermissionDeniedError,
    QueueUnavailableError,
    RulePackError,
    StaffError,
    StoreError,
    TrustError,
)


class ExitCode(IntEnum):
    """The documented exit codes of every ``trust`` command (README, "Command line")."""

    OK = 0
    REFUSED = 1
    USAGE = 2
    CONFIGURATION = 3
    UNAVAILABLE = 4
    INTERNAL = 70


@dataclass(frozen=True, slots=True)
class Failure:
    """What the user is told about an exception: a one-line message, a hint, an exit code."""

    code: ExitCode
    message: str
    hint: str | None = None

    def line(self) -> str:
        """The single line printed on standard error."""
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"error: {self.message}{hint}"


STORE_HINT = "is the database running and TRUST_DATABASE_URL right?"
REDIS_HINT = "is Redis running and TRUST_REDIS_URL right? (`trust up` starts one)"
SETTINGS_HINT = "see the configuration table in the README"
FILE_HINT = "check the path and its permissions"
RULES_HINT = "`trust rules validate` lists every problem"
DEBUG_HINT = "run again with `trust --debug ...` for the traceback, and report it"
# The first matching class wins, so subclasses come before their bases.
_HINTS: tuple[tuple[type[TrustError], str], ...] = (
    (StaffError, "`trust staff list` shows who exists"),
    (PermissionDeniedError, "ask a lead or an admin"),
    (AuthenticationError, "check the user name and password"),
)


def _first_line(exc: BaseException) -> str:
    # Database drivers append multi-line context ("Background on this error at ...").
    text = str(getattr(exc, "orig", None) or exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0]


def _setting_problem(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    if not error["loc"]:  # a check across settings names its variables itself
        return message
    variable = "TRUST_" + "__".join(str(part) for part in error["loc"]).upper()
    return message if message.startswith(variable) else f"{variable}: {message}"


def _settings_failure(exc: Any) -> Failure:
    problems = "; ".join(_setting_problem(e) for e in exc.errors())
    return Failure(ExitCode.CONFIGURATION, f"settings refused: {problems}", SETTINGS_HINT)


def _trust_failure(exc: TrustError) -> Failure:
    if isinstance(exc, InputFileError):
        return Failure(ExitCode.USAGE, str(exc), exc.hint or FILE_HINT)
    if isinstance(exc, ConfigurationError):
        return Failure(ExitCode.CONFIGURATION, _first_line(exc), SETTINGS_HINT)
    if isinstance(exc, StoreError):
        return Failure(ExitCode.UNAVAILABLE, _first_line(exc), STORE_HINT)
    if isinstance(exc, QueueUnavailableError):
        return Failure(ExitCode.UNAVAILABLE, _first_line(exc), REDIS_HINT)
    if isinstance(exc, RulePackError):
        more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
        first = exc.problems[0] if exc.problems else "no problem named"
        # A lone problem carries its own hint; several are listed by `trust rules validate`.
        hint = None if not more and "(hint: " in first else RULES_HINT
        return Failure(ExitCode.REFUSED, f"rule pack refused: {first}{more}", hint)
    hint = next((text for kind, text in _HINTS if isinstance(exc, kind)), None)
    return Failure(ExitCode.REFUSED, _first_line(exc), hint)


def explain(exc: Exception) -> Failure:
    """The failure to report for ``exc``; an unknown exception is an internal error."""
    from pydantic import ValidationError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from sqlalchemy.exc import InterfaceError, OperationalError

    if isinstance(exc, TrustError):
        return _trust_failure(exc)
    from trust.settings import Settings

    if isinstance(exc, ValidationError) and exc.title == Settings.__name__:
        return _settings_failure(exc)
    if isinstance(exc, OperationalError | InterfaceError):
        return Failure(ExitCode.UNAVAILABLE, f"the store refused: {_first_line(exc)}", STORE_HINT)
    if isinstance(exc, RedisConnectionError | RedisTimeoutError):
        return Failure(
            ExitCode.UNAVAILABLE, f"Redis is unreachable: {_first_line(exc)}", REDIS_HINT
        )
    if isinstance(exc, OSError) and exc.filename is not None:
        return Failure(ExitCode.USAGE, f"{exc.strerror or exc}: {exc.filename}", FILE_HINT)
    if isinstance(exc, ConnectionError):
        return Failure(ExitCode.UNAVAILABLE, f"a service is unreachable: {_first_line(exc)}")
    return Failure(
        ExitCode.INTERNAL, f"internal error: {type(exc).__name__}: {_first_line(exc)}", DEBUG_HINT
    )


class GuardedGroup(TyperGroup):
    """The ``trust`` group: runs every command inside the error boundary."""

    def invoke(self, ctx: Any) -> Any:
        """Run the command; turn what it raises into one line and an exit code."""
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # Typer's own: an exit code chosen by the command, or a usage error.
        except Exception as exc:
            if ctx.params.get("debug"):
                raise
            from trust.cli.context import err_console

            failure = explain(exc)
            err_console.print(failure.line(), markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(int(failure.code)) from exc
