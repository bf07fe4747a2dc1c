"""API tokens: random, stored only as SHA-256 hashes, revocable, each with one role."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Engine, bindparam, insert, select, update

from pipeline.store.database import reading, transaction, utcnow
from pipeline.store.schema import tokens

_FIND = select(tokens.c.id, tokens.c.name, tokens.c.role, tokens.c.token_hash).where(
    tokens.c.token_hash == bindparam("digest"), tokens.c.revoked_at.is_(None)
)
"""Built once: every authenticated request runs it."""


class Role(StrEnum):
    EDITOR = "editor"
    OPERATOR = "operator"


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    role: Role


def token_digest(token: str) -> str:
    """What the store keeps and looks tokens up by."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, name: str, role: Role) -> str:
        """Returns the token itself: the only time it exists outside its hash."""
        token = "nashr_" + secrets.token_urlsafe(32)
        with transaction(self.engine) as db:
            db.execute(
                insert(tokens).values(
                    name=name, role=role.value, token_hash=token_digest(token), created_at=utcnow()
                )
            )
        return token

    def verify(self, token: str) -> TokenInfo | None:
        """The token's role, or None; no timing tells an attacker how much of a guess was right.

        The plaintext is never compared: the row is found by the SHA-256 digest (an index
        lookup on a value the caller cannot steer byte by byte), and the digests are then
        compared with `hmac.compare_digest`, in constant time.
        """
        if not token or len(token) > 200:
            return None
        digest = token_digest(token)
        with reading(self.engine) as db:
            row = db.execute(_FIND, {"digest": digest}).first()
        if row is None or not hmac.compare_digest(row.token_hash, digest):
            return None
        return TokenInfo(row.id, row.name, Role(row.role))

    def revoke(self, name: str) -> int:
        with transaction(self.engine) as db:
            return int(
                db.execute(
                    update(tokens)
                    .where(tokens.c.name == name, tokens.c.revoked_at.is_(None))
                    .values(revoked_at=utcnow())
                ).rowcount
            )

    def list(self) -> list[tuple[str, str, bool]]:
        with transaction(self.engine) as db:
            rows = db.execute(
                select(tokens.c.name, tokens.c.role, tokens.c.revoked_at).order_by(tokens.c.id)
            ).all()
        return [(r.name, r.role, r.revoked_at is not None) for r in rows]
