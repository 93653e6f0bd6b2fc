"""Who is using the UI, and the gates the pages ask before they act.

The decisions are `ui.policy`'s (pure, tested on their own); this module only reads Streamlit's
state. In team mode the user is what Streamlit's OpenID Connect sign-in reports in `st.user`
(filled from its signed identity cookie; `st.login` / `st.logout` move between the states);
in local mode it is the user the server runs as, who may do everything, as on the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from streamlit.errors import StreamlitAPIException

from ui import data, policy
from ui.widgets import md


@dataclass(frozen=True)
class Gate:
    """What one page run may do: the settings (None: local mode), the user, and whether they
    may start, cancel and re-run runs."""

    settings: policy.Settings | None
    user: policy.User
    may_run: policy.Decision

    @property
    def team(self) -> bool:
        return self.settings is not None

    def check_request(self, preset: str, backend: str, address: str | None, count: int = 1) -> policy.Decision:
        """May this user start `count` runs now (runner, Ray address, preset, their active runs)?"""
        active = data.active_runs_of(self.user.name) if self.team and self.may_run else 0
        return policy.check_request(self.settings, self.user, preset=preset, backend=backend, address=address, active=active, count=count)


def gate() -> Gate:
    """Raises policy.SettingsError for a bad settings file (the app shows it and stops)."""
    settings = policy.load_settings()
    if settings is None:
        user = policy.local_user(data.local_user())
    else:
        user = policy.user_from_claims(st.user.to_dict(), settings.access.groups_claim)
    return Gate(settings, user, policy.may_run(settings, user))


def guard() -> Gate:
    """Run before any page: a bad settings file stops the app with its one line (fail closed);
    browsing that needs sign-in shows only the sign-in; the sidebar says who you are."""
    try:
        g = gate()
    except policy.SettingsError as exc:
        st.error(f"The server's settings file is bad, so nothing is shown: {md(exc)}", icon=":material/error:")
        st.stop()
    account(g)
    browse = policy.may_browse(g.settings, g.user)
    if not browse:
        st.title("claimgraph")
        st.info(browse.reason, icon=":material/lock:")
        if not g.user.signed_in:
            sign_in_button(g, key="auth_sign_in_page")
        st.stop()
    return g


def account(g: Gate) -> None:
    """The sidebar's account line: who you are and the sign-in or sign-out button."""
    with st.sidebar:
        if not g.team:
            st.caption(f"Single-user local mode: runs are started as {md(g.user.name)}.")
        elif g.user.signed_in:
            st.caption(f"Signed in as {md(g.user.name)}" + ("" if g.may_run else " (reading only)"))
            if st.button("Sign out", key="auth_sign_out", icon=":material/logout:"):
                st.logout()
        else:
            st.caption("Reading without signing in. Sign in to start runs.")
            sign_in_button(g, key="auth_sign_in")


def sign_in_button(g: Gate, key: str) -> None:
    if st.button("Sign in", key=key, icon=":material/login:", type="primary"):
        provider = g.settings.access.provider if g.settings else None
        try:
            st.login(provider)
        except StreamlitAPIException as exc:  # Authlib missing, or no [auth] in secrets.toml
            st.error("Sign-in is not set up on this server: " + md(exc), icon=":material/error:")
