"""A local OpenID Connect issuer for the sign-in tests: the identity provider's side of
`st.login`, on 127.0.0.1, signing ID tokens with a fresh RS256 key.

It implements the authorization-code flow Streamlit (through Authlib) drives: discovery,
/authorize (no login form: it signs in whoever `issuer.user` says is at the keyboard and
redirects straight back with a code), /token (the ID token for that code, with the nonce the
app sent) and the JWKS that Authlib checks the signature against.

    with Issuer(client_id="cg", client_secret="s", user={"email": "ada@lab.example"}) as issuer:
        issuer.metadata_url   # -> [auth] server_metadata_url in secrets.toml
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey


class Issuer:
    def __init__(self, client_id: str, client_secret: str, user: dict[str, Any]):
        self.client_id, self.client_secret, self.user = client_id, client_secret, dict(user)
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self.codes: dict[str, dict[str, Any]] = {}  # code -> {nonce, redirect_uri, user}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.metadata_url = f"{self.url}/.well-known/openid-configuration"
        self.tokens_issued = 0

    def __enter__(self) -> Issuer:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def id_token(self, user: dict[str, Any], nonce: str | None) -> str:
        now = int(time.time())
        claims = {"iss": self.url, "aud": self.client_id, "iat": now, "exp": now + 600, "sub": user.get("sub", user.get("email", "user")), **user}
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def send_json(self, body: dict[str, Any], status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self.send_json(issuer.metadata())
                elif url.path == "/jwks":
                    self.send_json({"keys": [issuer.key.as_dict(private=False)]})
                elif url.path == "/authorize":
                    if query.get("client_id") != issuer.client_id or query.get("response_type") != "code":
                        self.send_json({"error": "invalid_request"}, 400)
                        return
                    code = secrets.token_urlsafe(16)
                    issuer.codes[code] = {"nonce": query.get("nonce"), "redirect_uri": query.get("redirect_uri"), "user": dict(issuer.user)}
                    self.send_response(302)
                    self.send_header("Location", f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}")
                    self.end_headers()
                else:
                    self.send_json({"error": "not_found"}, 404)

            def do_POST(self) -> None:
                if urlparse(self.path).path != "/token":
                    self.send_json({"error": "not_found"}, 404)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                basic = base64.b64encode(f"{issuer.client_id}:{issuer.client_secret}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {basic}" and (form.get("client_id"), form.get("client_secret")) != (issuer.client_id, issuer.client_secret):
                    self.send_json({"error": "invalid_client"}, 401)
                    return
                grant = issuer.codes.pop(form.get("code", ""), None)
                if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
                    self.send_json({"error": "invalid_grant"}, 400)
                    return
                issuer.tokens_issued += 1
                self.send_json({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 600, "id_token": issuer.id_token(grant["user"], grant["nonce"])})

        return Handler
