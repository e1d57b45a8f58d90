"""OAuth 2.0: service-account JWT-bearer assertions and people's refresh tokens in, Bearer
access tokens out.

The token endpoint verifies the assertion's RS256 signature with the public half of the key
registered for its ``iss`` (a locally generated RSA key), checks ``aud`` and the times, and
issues an opaque token that the Sheets and Drive handlers then require. A person's cached
OAuth token (an installed app's ``authorized_user`` file) is refreshed with the
``refresh_token`` grant, checked against the client id and secret it was issued to.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

TOKEN_URI = "https://oauth2.googleapis.com/token"
TOKEN_AUDIENCES = (TOKEN_URI, "https://www.googleapis.com/oauth2/v4/token",
                   "https://accounts.google.com/o/oauth2/token")
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
REFRESH = "refresh_token"
TOKEN_LIFETIME_S = 3599

SHEETS_SCOPES = {"https://www.googleapis.com/auth/spreadsheets",
                 "https://www.googleapis.com/auth/drive",
                 "https://www.googleapis.com/auth/drive.file",
                 "https://spreadsheets.google.com/feeds"}
SHEETS_READ_SCOPES = SHEETS_SCOPES | {"https://www.googleapis.com/auth/spreadsheets.readonly",
                                      "https://www.googleapis.com/auth/drive.readonly"}
DRIVE_SCOPES = {"https://www.googleapis.com/auth/drive",
                "https://www.googleapis.com/auth/drive.file"}
DRIVE_READ_SCOPES = DRIVE_SCOPES | {"https://www.googleapis.com/auth/drive.readonly",
                                    "https://www.googleapis.com/auth/drive.metadata.readonly",
                                    "https://www.googleapis.com/auth/drive.metadata"}


@functools.lru_cache(maxsize=8)
def generate_key(slot: int = 0) -> str:
    """A PEM RSA private key (2048 bits); cached per ``slot`` so a test run makes few."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_pem(private_pem: str) -> bytes:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass
class Account:
    email: str
    private_key: str
    public_key: bytes
    key_id: str
    has_storage: bool = False
    project_id: str = "ttcs-fake"


@dataclass
class Token:
    email: str
    scopes: frozenset[str]
    expires_at: float


@dataclass
class TokenError(Exception):
    error: str
    description: str
    status: int = 400


@dataclass(frozen=True)
class Grant:
    """What a refresh token stands for: a person, the OAuth client and the scopes consented."""

    email: str
    client_id: str
    client_secret: str
    scopes: frozenset[str]


@dataclass
class Tokens:
    """Issued access and refresh tokens (the fake's lock guards it)."""

    issued: dict[str, Token] = field(default_factory=dict)
    refresh: dict[str, Grant] = field(default_factory=dict)

    def grant(self, email: str, client_id: str, client_secret: str,
              scopes: frozenset[str]) -> str:
        token = "1//fake-refresh-" + secrets.token_urlsafe(32)
        self.refresh[token] = Grant(email, client_id, client_secret, scopes)
        return token

    def issue(self, email: str, scopes: frozenset[str], lifetime_s: float = TOKEN_LIFETIME_S,
              now: float | None = None) -> str:
        token = "ya29.c." + secrets.token_urlsafe(48)
        self.issued[token] = Token(email, scopes, (now or time.time()) + lifetime_s)
        return token

    def check(self, header: str | None, now: float | None = None) -> Token | None:
        if not header or not header.startswith("Bearer "):
            return None
        token = self.issued.get(header[len("Bearer "):].strip())
        if token is None or token.expires_at <= (now or time.time()):
            return None
        return token

    def revoke_all(self) -> None:
        self.issued.clear()


def service_account_info(account: Account, token_uri: str = TOKEN_URI) -> dict[str, Any]:
    """A key file as the Cloud console downloads it."""
    client_id = str(int(hashlib.sha256(account.email.encode()).hexdigest(), 16) % 10**21)
    return {
        "type": "service_account",
        "project_id": account.project_id,
        "private_key_id": account.key_id,
        "private_key": account.private_key,
        "client_email": account.email,
        "client_id": client_id,
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
        + account.email.replace("@", "%40"),
        "universe_domain": "googleapis.com",
    }


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify_assertion(assertion: str, accounts: dict[str, Account],
                     now: float | None = None) -> tuple[Account, dict[str, Any]]:
    """The account and claims of a valid assertion; TokenError as Google words it."""
    try:
        head_b64, claims_b64, sig_b64 = assertion.split(".")
        header = json.loads(_b64(head_b64))
        claims = json.loads(_b64(claims_b64))
        signature = _b64(sig_b64)
    except (ValueError, UnicodeDecodeError):
        raise TokenError("invalid_grant", "Invalid JWT: Failed to parse the assertion.") \
            from None
    if header.get("alg") != "RS256":
        raise TokenError("invalid_grant", "Invalid JWT Signature.")
    account = accounts.get(str(claims.get("iss", "")))
    if account is None:
        raise TokenError("invalid_grant", "Invalid grant: account not found")
    key = serialization.load_pem_public_key(account.public_key)
    try:
        key.verify(signature, f"{head_b64}.{claims_b64}".encode(),  # type: ignore[union-attr, call-arg]
                   padding.PKCS1v15(), hashes.SHA256())  # type: ignore[call-arg]
    except InvalidSignature:
        raise TokenError("invalid_grant", "Invalid JWT Signature.") from None
    if claims.get("aud") not in TOKEN_AUDIENCES:
        raise TokenError("invalid_grant", "Invalid JWT: Failed audience check. The right "
                         f"audience is {TOKEN_URI}")
    now = time.time() if now is None else now
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int | float) or not isinstance(exp, int | float) \
            or exp - iat > 3600 or exp < now - 300 or iat > now + 300:
        raise TokenError("invalid_grant", "Invalid JWT: Token must be a short-lived token "
                         "(60 minutes) and in a reasonable timeframe. Check your iat and exp "
                         "values in the JWT claim.")
    if not str(claims.get("scope", "")).strip():
        raise TokenError("invalid_scope", "Invalid OAuth scope or ID token audience "
                         "provided.")
    return account, claims


def token_exchange(body: bytes, accounts: dict[str, Account], tokens: Tokens,
                   lifetime_s: float) -> dict[str, Any]:
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    grant = form.get("grant_type")
    if grant == REFRESH:
        return refresh_exchange(form, tokens, lifetime_s)
    if grant != JWT_BEARER:
        raise TokenError("unsupported_grant_type", f"Invalid grant_type: {grant or ''}")
    account, claims = verify_assertion(form.get("assertion", ""), accounts)
    scopes = frozenset(str(claims["scope"]).split())
    token = tokens.issue(account.email, scopes, lifetime_s)
    return {"access_token": token, "expires_in": int(lifetime_s), "token_type": "Bearer"}


def refresh_exchange(form: dict[str, str], tokens: Tokens, lifetime_s: float) -> dict[str, Any]:
    """The ``refresh_token`` grant as Google answers it (invalid_client, invalid_grant)."""
    grant = tokens.refresh.get(form.get("refresh_token", ""))
    if grant is None:
        raise TokenError("invalid_grant", "Token has been expired or revoked.")
    if form.get("client_id") != grant.client_id or form.get("client_secret") \
            != grant.client_secret:
        raise TokenError("invalid_client", "The OAuth client was not found.", 401)
    asked = frozenset(form.get("scope", "").split())
    if asked - grant.scopes:
        raise TokenError("invalid_scope", "Bad Request")
    scopes = asked or grant.scopes
    token = tokens.issue(grant.email, scopes, lifetime_s)
    return {"access_token": token, "expires_in": int(lifetime_s), "token_type": "Bearer",
            "scope": " ".join(sorted(scopes))}


def scope_allows(scopes: frozenset[str], api: str, write: bool) -> bool:
    if api == "sheets":
        allowed = SHEETS_SCOPES if write else SHEETS_READ_SCOPES
    else:
        allowed = DRIVE_SCOPES if write else DRIVE_READ_SCOPES
    return bool(scopes & allowed)
