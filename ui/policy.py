"""Who may do what on a served UI: the settings file and the decisions it implies.

Pure (no Streamlit): the UI asks these functions, tests call them directly, and
`python -m ui.policy` checks the settings file before `make run` starts the server.

Without a settings file the UI is single-user and local: the person at the keyboard may do
everything, as the CLI may. With one (`claimgraph.toml` at the repository root, or the path in
$KG_SETTINGS) it is in team mode: users sign in with Streamlit's OpenID Connect sign-in
(`st.login`, configured in `.streamlit/secrets.toml`), starting, cancelling and re-running
runs needs a signed-in user on the allow-list, and runs are bounded by the [runs] table.

    [access]
    browse = "open"                       # or "sign-in": reading needs an allowed, signed-in user
    emails = ["ada@lab.example", "*@lab.example"]   # "*@domain" allows a whole (verified) domain
    groups_claim = "groups"               # the ID-token claim that lists a user's groups
    groups = ["ml-repro"]                 # members of any of these are allowed
    provider = "google"                   # an [auth.google] section in secrets.toml; omit for [auth]

    [runs]
    runners = ["local", "ray"]
    ray_addresses = ["ray://ray-head.lab.example:10001"]   # the only clusters runs may go to
    max_preset = "smoke"                  # the largest preset a user may start (smoke < full)
    max_queued = 2                        # runs one user may have queued or running at once
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

REPO = Path(__file__).resolve().parent.parent
ENV = "KG_SETTINGS"
DEFAULT_PATH = REPO / "claimgraph.toml"
PRESET_SIZES = ("smoke", "full")  # smallest first: what "the largest preset" is measured against
RUNNERS = ("local", "ray")  # the runners repro.api.submit accepts


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Access(_Strict):
    browse: Literal["open", "sign-in"] = Field("open", description="open: anyone who reaches the server may read; sign-in: only allowed, signed-in users")
    emails: list[str] = Field(default_factory=list, description="allowed e-mail addresses; '*@domain' allows a domain")
    groups_claim: str = Field("groups", description="the ID-token claim that lists the user's groups")
    groups: list[str] = Field(default_factory=list, description="members of any of these groups are allowed")
    provider: str | None = Field(None, description="the [auth.<provider>] section of .streamlit/secrets.toml; None: [auth] itself")

    @model_validator(mode="after")
    def _addresses_look_like_addresses(self) -> Access:
        for e in self.emails:
            if e.count("@") != 1 or not e.split("@")[1] or (e.startswith("*") and not e.startswith("*@")):
                raise ValueError(f"emails: {e!r} is neither an address nor '*@domain'")
        return self


class Runs(_Strict):
    runners: list[Literal["local", "ray"]] = Field(["local"], min_length=1)  # pydantic copies the default
    ray_addresses: list[str] = Field(default_factory=list, description="the Ray clusters runs may be sent to")
    max_preset: Literal["smoke", "full"] = "smoke"
    max_queued: int = Field(1, ge=0, description="runs one user may have queued or running at once")

    @model_validator(mode="after")
    def _ray_needs_an_address(self) -> Runs:
        if "ray" in self.runners and not self.ray_addresses:
            raise ValueError("runners: 'ray' needs at least one entry in ray_addresses (the clusters runs may go to)")
        return self


class Settings(_Strict):
    access: Access = Field(default_factory=Access)
    runs: Runs = Field(default_factory=Runs)


class SettingsError(ValueError):
    """A settings file that cannot be used; the message is one line naming file:line."""


# --- reading the file ----------------------------------------------------------------------


def settings_path() -> Path | None:
    """$KG_SETTINGS when set (it must exist), else claimgraph.toml at the repository root when
    present, else None: single-user local mode."""
    named = os.environ.get(ENV)
    if named:
        return Path(named)
    return DEFAULT_PATH if DEFAULT_PATH.is_file() else None


def load_settings(path: Path | None = None) -> Settings | None:
    """The server's settings, or None for local mode. Raises SettingsError (one line)."""
    path = path if path is not None else settings_path()
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read the settings file ({exc.__class__.__name__}: {exc})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        where = f"{path}:{m.group(1)}" if m else str(path)
        raise SettingsError(f"{where}: not valid TOML: {re.sub(r' [(]at line .*', '', str(exc))}") from None
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(str(p) for p in err["loc"])
        field = ".".join(loc) or "settings"
        msg = err["msg"].removeprefix("Value error, ")
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise SettingsError(f"{path}:{_line_of(text, loc)}: {field}: {msg}{more}") from None


def _line_of(text: str, loc: tuple[str, ...]) -> int:
    """The line of `[table] key = …` for a pydantic location, else the table's header, else 1."""
    table, key = (loc[0], loc[1]) if len(loc) >= 2 else ("", loc[0] if loc else "")
    current, header_line = "", 1
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("[") and not stripped.startswith("[["):
            current = stripped.split("]")[0].strip("[ \t")
            if current == table:
                header_line = n
            elif not table and current == key:  # an unknown or bad table: its header
                return n
            continue
        if current == table and re.match(rf"{re.escape(key)}\s*=", stripped):
            return n
    return header_line


# --- who the user is ---------------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    """The person a request comes from. `name` is what a run records as `started_by`."""

    name: str
    signed_in: bool
    email: str | None = None
    email_verified: bool = True
    groups: tuple[str, ...] = ()
    local: bool = False  # single-user local mode: the server's own user


def local_user(name: str) -> User:
    return User(name=name, signed_in=True, local=True)


def user_from_claims(claims: Mapping[str, Any], groups_claim: str = "groups") -> User:
    """The user Streamlit's sign-in reports (`st.user`: the ID token's claims plus
    `is_logged_in`). Anything but `is_logged_in is True` is a signed-out reader."""
    if claims.get("is_logged_in") is not True:
        return User(name="", signed_in=False)
    email = claims.get("email")
    email = email.strip().lower() if isinstance(email, str) and email.strip() else None
    raw_groups = claims.get(groups_claim) or ()
    groups = (raw_groups,) if isinstance(raw_groups, str) else tuple(str(g) for g in raw_groups) if isinstance(raw_groups, list | tuple) else ()
    name = email or str(claims.get("preferred_username") or claims.get("sub") or "signed-in user")
    return User(name=name, signed_in=True, email=email, email_verified=claims.get("email_verified") is not False, groups=groups)


# --- decisions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""  # why not, in words a user can act on

    def __bool__(self) -> bool:
        return self.allowed


YES = Decision(True)


def is_allowed(settings: Settings | None, user: User) -> Decision:
    """May this user start, cancel and re-run runs (and read, when browsing needs sign-in)?"""
    if settings is None:
        return YES if user.signed_in else Decision(False, "no user")
    if not user.signed_in:
        return Decision(False, "Sign in to start, cancel or re-run runs.")
    access = settings.access
    if user.email and user.email_verified and any(_email_matches(user.email, rule) for rule in access.emails):
        return YES
    if set(user.groups) & set(access.groups):
        return YES
    why = "is not on this server's allow-list" if user.email_verified else "has an unverified e-mail address"
    return Decision(False, f"{user.name} {why}; ask the server's admin to add you to claimgraph.toml.")


def _email_matches(email: str, rule: str) -> bool:
    rule = rule.strip().lower()
    return email.endswith(rule[1:]) if rule.startswith("*@") else email == rule


def may_browse(settings: Settings | None, user: User) -> Decision:
    if settings is None or settings.access.browse == "open":
        return YES
    if not user.signed_in:
        return Decision(False, "Sign in to read this claims graph.")
    return is_allowed(settings, user)


def may_run(settings: Settings | None, user: User) -> Decision:
    """The gate on the start, cancel and re-run controls."""
    return is_allowed(settings, user)


def runner_choices(settings: Settings | None) -> list[str]:
    return list(RUNNERS) if settings is None else list(settings.runs.runners)


def address_choices(settings: Settings | None, default: str | None) -> list[str | None]:
    """The Ray addresses the Runs page offers: the settings' list in team mode, else only the
    server's own default (RAY_ADDRESS, or None: a local Ray)."""
    return [default] if settings is None else list(settings.runs.ray_addresses)


def preset_allowed(settings: Settings | None, preset: str) -> bool:
    if settings is None:
        return True
    if preset not in PRESET_SIZES:  # a preset of unknown size is refused, not guessed at
        return False
    return PRESET_SIZES.index(preset) <= PRESET_SIZES.index(settings.runs.max_preset)


def check_request(settings: Settings | None, user: User, *, preset: str, backend: str, address: str | None, active: int, count: int = 1) -> Decision:
    """May this user start `count` runs (the seeds of one request) now? `active` is how many of
    the user's runs are queued or running. Checked when the Runs page renders (to disable the button and say why) and again
    when the button is pressed (a disabled button is only a hint to the browser)."""
    allowed = may_run(settings, user)
    if not allowed or settings is None:
        return allowed
    runs = settings.runs
    if backend not in runs.runners:
        return Decision(False, f"This server does not run on {backend!r}; runners: {', '.join(runs.runners)}.")
    if backend == "ray" and address not in runs.ray_addresses:
        return Decision(False, f"Ray address {address!r} is not one of this server's: {', '.join(runs.ray_addresses)}.")
    if not preset_allowed(settings, preset):
        return Decision(False, f"Preset {preset!r} is larger than this server allows (at most {runs.max_preset!r}).")
    if active + count > runs.max_queued:
        asked = f" and ask for {count} more" if count > 1 else ""
        return Decision(False, f"You have {active} run(s) queued or running{asked}; this server allows {runs.max_queued} at once. Wait for one to finish or cancel it.")
    return YES


def sign_in_problem(home: Path | None = None) -> str | None:
    """Why nobody could sign in to this server (Streamlit's sign-in needs Authlib and an [auth]
    section in .streamlit/secrets.toml, here or in the home folder), or None."""
    import importlib.util

    if importlib.util.find_spec("authlib") is None:
        return "Authlib is not installed: pip install -e '.[team]'"
    for path in (Path.cwd() / ".streamlit" / "secrets.toml", (home or Path.home()) / ".streamlit" / "secrets.toml"):
        try:
            if "auth" in tomllib.loads(path.read_text(encoding="utf-8")):
                return None
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            return f"{path}: cannot be read ({exc})"
    return "no [auth] section in .streamlit/secrets.toml"


def main() -> int:
    """`python -m ui.policy`: check the settings file; one line, exit 1 when it is bad."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if settings is None:
        print("claimgraph UI: single-user local mode (no claimgraph.toml)")
    else:
        a, r = settings.access, settings.runs
        problem = sign_in_problem()
        if problem:
            print(f"warning: nobody can sign in, so the UI is read-only: {problem} (README, 'Serving a team')", file=sys.stderr)
        print(
            f"claimgraph UI: team mode ({settings_path()}): browsing {a.browse}, {len(a.emails)} allowed address(es), {len(a.groups)} group(s); runners {', '.join(r.runners)}, presets up to {r.max_preset}, {r.max_queued} active run(s) per user"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
