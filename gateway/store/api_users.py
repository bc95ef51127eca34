"""People who use the case API and their tokens.

A token is a random secret shown once, when it is created; the store keeps only its SHA-256
(the secret has 256 bits of entropy, so a plain digest cannot be reversed by guessing). A
user's password, asked again to confirm a deletion, is kept as a salted scrypt hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, select, update

from gateway.errors import DuplicateError, InvalidMessageError
from gateway.ids import new_id
from gateway.store.tables import api_tokens, api_users

#: every scope a token may carry; ``admin`` manages users and tokens
SCOPES: Final[tuple[str, ...]] = (
    "icsr:list",
    "icsr:read",
    "icsr:create",
    "icsr:update",
    "icsr:delete",
    "admin",
)
TOKEN_PREFIX: Final = "icsr_"  # noqa: S105 - a marker, not a secret
# scrypt cost: 16 MiB of memory per check, a few tens of milliseconds
_SCRYPT_N: Final = 2**14
_SCRYPT_R: Final = 8
_SCRYPT_P: Final = 1
_MIN_PASSWORD: Final = 8


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` with a fresh 16-byte salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(base64.b64decode(expected)),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, base64.b64decode(expected))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    created_at: datetime
    disabled_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Token:
    """A token as stored (never its secret)."""

    id: str
    user_id: str
    name: str
    scopes: frozenset[str]
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token and its secret: the only moment the secret is known."""

    token: Token
    secret: str


@dataclass(frozen=True, slots=True)
class TokenOwner:
    """What a presented secret resolves to: the token and its (enabled) user."""

    token: Token
    user: User


def _user(r: Any) -> User:
    return User(id=r.id, username=r.username, created_at=r.created_at, disabled_at=r.disabled_at)


def _token(r: Any) -> Token:
    return Token(
        id=r.id,
        user_id=r.user_id,
        name=r.name,
        scopes=frozenset(r.scopes),
        created_at=r.created_at,
        expires_at=r.expires_at,
        revoked_at=r.revoked_at,
    )


def check_scopes(scopes: Iterable[str]) -> frozenset[str]:
    wanted = frozenset(scopes)
    unknown = sorted(wanted - set(SCOPES))
    if unknown:
        raise InvalidMessageError(
            f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(SCOPES)}"
        )
    if not wanted:
        raise InvalidMessageError("a token needs at least one scope")
    return wanted


def create_user(conn: Connection, username: str, password: str, now: datetime) -> User:
    username = username.strip()
    if not username:
        raise InvalidMessageError("a user needs a name")
    if len(password) < _MIN_PASSWORD:
        raise InvalidMessageError(f"the password must have at least {_MIN_PASSWORD} characters")
    if user_by_name(conn, username) is not None:
        raise DuplicateError(f"a user named {username!r} already exists")
    user = User(id=new_id("U"), username=username, created_at=now)
    conn.execute(
        api_users.insert().values(
            id=user.id,
            username=user.username,
            password_hash=hash_password(password),
            created_at=now,
            disabled_at=None,
        )
    )
    return user


def user_by_name(conn: Connection, username: str) -> User | None:
    r = conn.execute(select(api_users).where(api_users.c.username == username)).first()
    return _user(r) if r is not None else None


def user(conn: Connection, user_id: str) -> User | None:
    r = conn.execute(select(api_users).where(api_users.c.id == user_id)).first()
    return _user(r) if r is not None else None


def list_users(conn: Connection) -> list[User]:
    return [_user(r) for r in conn.execute(select(api_users).order_by(api_users.c.username))]


def check_password(conn: Connection, user_id: str, password: str) -> bool:
    stored = conn.execute(
        select(api_users.c.password_hash).where(api_users.c.id == user_id)
    ).scalar()
    return stored is not None and verify_password(password, stored)


def issue_token(
    conn: Connection,
    user_id: str,
    name: str,
    scopes: Iterable[str],
    now: datetime,
    expires_at: datetime | None = None,
) -> IssuedToken:
    """A new token for ``user_id``; its secret is returned here and never stored."""
    wanted = check_scopes(scopes)
    if user(conn, user_id) is None:
        raise InvalidMessageError(f"user {user_id} does not exist")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = Token(
        id=new_id("TK"),
        user_id=user_id,
        name=name.strip() or "token",
        scopes=wanted,
        created_at=now,
        expires_at=expires_at,
    )
    conn.execute(
        api_tokens.insert().values(
            id=token.id,
            user_id=user_id,
            name=token.name,
            token_sha256=token_digest(secret),
            scopes=sorted(wanted),
            created_at=now,
            expires_at=expires_at,
            revoked_at=None,
        )
    )
    return IssuedToken(token=token, secret=secret)


def tokens(conn: Connection, user_id: str | None = None) -> list[Token]:
    q = select(api_tokens).order_by(api_tokens.c.created_at, api_tokens.c.id)
    if user_id is not None:
        q = q.where(api_tokens.c.user_id == user_id)
    return [_token(r) for r in conn.execute(q)]


def revoke_token(conn: Connection, token_id: str, now: datetime) -> bool:
    """Revoke a token; False when there is no such token or it was already revoked."""
    result = conn.execute(
        update(api_tokens)
        .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(result.rowcount)


def owner_of(conn: Connection, secret: str, now: datetime) -> TokenOwner | None:
    """The active token and enabled user a presented secret belongs to, else None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    r = conn.execute(
        select(api_tokens).where(api_tokens.c.token_sha256 == token_digest(secret))
    ).first()
    if r is None:
        return None
    token = _token(r)
    owner = user(conn, token.user_id)
    if not token.active(now) or owner is None or owner.disabled_at is not None:
        return None
    return TokenOwner(token=token, user=owner)
