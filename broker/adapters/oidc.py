"""OpenID Connect sign-in through the city's identity provider (Authlib): the authorization
code flow with PKCE (S256), a state and a nonce; the ID token's signature (the provider's
JWKS), issuer, audience, expiry and nonce checked; roles mapped from a claim.

Deny by default: no mapped role, or two different ones, is a refusal.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

with warnings.catch_warnings():  # authlib.jose is deprecated for joserfc, and kept until 2.0
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebKey, JsonWebToken
    from authlib.jose.errors import JoseError
    from authlib.oidc.core import CodeIDToken

from broker.errors import Forbidden, NotReady, Unauthenticated

TIMEOUT = httpx.Timeout(10.0)
DISCOVERY_TTL = 3600.0


@dataclass(frozen=True)
class Authorization:
    url: str
    state: str
    nonce: str
    verifier: str


@dataclass(frozen=True)
class Claims:
    issuer: str
    subject: str
    username: str
    name: str
    role: str
    agency: str


@dataclass
class OidcClient:
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: str = "openid profile email"
    role_claim: str = "roles"
    roles: dict[str, str] = field(default_factory=dict)
    agency_claim: str = "agency"
    default_agency: str = ""
    _discovery: dict[str, Any] | None = field(default=None, repr=False)
    _fetched_at: float = 0.0

    def metadata(self) -> dict[str, Any]:
        if self._discovery is None or time.monotonic() - self._fetched_at > DISCOVERY_TTL:
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            self._discovery = self._get(url)
            self._fetched_at = time.monotonic()
            if self._discovery.get("issuer") != self.issuer:
                raise NotReady("the identity provider's discovery names another issuer")
        return self._discovery

    def authorization(self, redirect_uri: str) -> Authorization:
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        query = urlencode({
            "response_type": "code", "client_id": self.client_id, "redirect_uri": redirect_uri,
            "scope": self.scopes, "state": state, "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier), "code_challenge_method": "S256",
        })
        return Authorization(url=f"{self.metadata()['authorization_endpoint']}?{query}",
                             state=state, nonce=nonce, verifier=verifier)

    def claims(self, code: str, verifier: str, nonce: str, redirect_uri: str,
               response_issuer: str | None = None) -> Claims:
        """Exchange the code and check the ID token; every failure is a refusal. The ``iss`` of
        the authorization response (RFC 9207) must be this provider's whenever the provider
        sends one or says it does: a code from another provider is never exchanged here."""
        meta = self.metadata()
        if response_issuer is not None and response_issuer != self.issuer:
            raise Unauthenticated("the sign-in answer came from another identity provider")
        if response_issuer is None and meta.get("authorization_response_iss_parameter_supported"):
            raise Unauthenticated("the sign-in answer does not say which identity provider sent it")
        try:
            answer = httpx.post(meta["token_endpoint"], timeout=TIMEOUT,
                                auth=(self.client_id, self.client_secret), data={
                                    "grant_type": "authorization_code", "code": code,
                                    "redirect_uri": redirect_uri, "code_verifier": verifier})
        except httpx.HTTPError:
            raise NotReady("the identity provider cannot be reached") from None
        if answer.status_code != 200:
            raise Unauthenticated("the identity provider refused the sign-in")
        id_token = answer.json().get("id_token")
        if not isinstance(id_token, str):
            raise Unauthenticated("the identity provider sent no ID token")
        keys = JsonWebKey.import_key_set(self._get(meta["jwks_uri"]))
        algorithms = meta.get("id_token_signing_alg_values_supported") or ["RS256"]
        try:
            claims = JsonWebToken([a for a in algorithms if a != "none"]).decode(
                id_token, keys, claims_cls=CodeIDToken,
                claims_options={"iss": {"essential": True, "value": self.issuer},
                                "aud": {"essential": True, "value": self.client_id},
                                "sub": {"essential": True}},
                claims_params={"nonce": nonce, "client_id": self.client_id})
            claims.validate(leeway=60)
        except (JoseError, ValueError) as exc:
            raise Unauthenticated(f"the ID token is not valid ({type(exc).__name__})") from None
        return Claims(issuer=self.issuer, subject=str(claims["sub"]),
                      username=str(claims.get("preferred_username") or claims.get("email")
                                   or claims["sub"]),
                      name=str(claims.get("name") or claims.get("preferred_username") or claims["sub"]),
                      role=self.role_of(claims), agency=str(claims.get(self.agency_claim)
                                                            or self.default_agency or self.issuer))

    def role_of(self, claims: dict[str, Any]) -> str:
        values = claims.get(self.role_claim) or []
        if isinstance(values, str):
            values = values.split()
        mapped = {self.roles[v] for v in values if isinstance(v, str) and v in self.roles}
        if len(mapped) != 1:
            raise Forbidden("the identity provider gave no console role, or more than one")
        return mapped.pop()

    def _get(self, url: str) -> dict[str, Any]:
        try:
            answer = httpx.get(url, timeout=TIMEOUT)
            answer.raise_for_status()
            document: dict[str, Any] = answer.json()
        except (httpx.HTTPError, ValueError):
            raise NotReady("the identity provider cannot be reached") from None
        return document
