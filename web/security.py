"""Passwords, login throttling, CSRF tokens and response headers for perfrules serve.

- Passwords: argon2id through argon2-cffi at OWASP's minimum (19 MiB, 2 iterations, 1 lane), rehashed on
  login when the parameters change.
- Throttling: backoff (2, 4, 8 … s, at most 15 min) after 5 failures on one account, or 30 from one address
  on real accounts; failures on unknown names count apart and never delay a real account. Kept in memory:
  one server process (waitress' threads). See `Throttle`.
- CSRF: a random token per session, in every form as a hidden field; every POST must carry it.
- Headers: a Content-Security-Policy with no inline script (the review pages carry one script, allowed by
  its hash), nosniff, no framing, no referrer, no caching of pages with a unit's data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# argon2id at OWASP's first recommended configuration (Password Storage Cheat Sheet: 19 MiB, 2 iterations,
# 1 lane), stated here rather than taken from argon2-cffi's defaults (64 MiB, 3 iterations, 4 lanes, about
# seven times the cost): at the defaults a province's round could not add 2,000 units within a minute, nor
# let fifty units log in at once under a second, on two workers. A hash made with other parameters still
# verifies and is rehashed at its next login (needs_rehash).
ARGON2_TIME_COST, ARGON2_MEMORY_KIB, ARGON2_LANES = 2, 19 * 1024, 1
_HASHER = PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_LANES)
_DUMMY = _HASHER.hash("perfrules-no-such-user")
# Readable passwords for accounts the bureau creates: no 0/O, 1/l/I.
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches; a missing account costs the same time as a wrong password."""
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)


def new_password(length: int = 12) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


class Throttle:
    """Failed logins, with backoff rather than a wall, counted apart for what they can harm:

    - per account name: after `per_account` failures the next try waits 2, 4, 8 … seconds after the last
      failure, up to `max_wait` (a password guessed at one account slows down, the account is not shut);
    - per address, for real accounts: after `per_address` failures from one address on real accounts, the
      same backoff for every real account tried from there (password spraying);
    - per address, for unknown names: failures on names that are no account count only against more unknown
      names from that address. A flood of made-up names never delays a real account's login, the bureau's
      admin included.

    A failure older than `window` is forgotten; a success clears the account's count and the address's count
    for real accounts. Kept in memory (one server process)."""

    def __init__(self, per_account: int = 5, per_address: int = 30, window: float = 15 * 60,
                 max_wait: float = 15 * 60, base: float = 2.0):
        self.per_account, self.per_address, self.window = per_account, per_address, window
        self.max_wait, self.base = max_wait, base
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def _keys(self, account: str, address: str, known: bool) -> list[tuple[str, int]]:
        if known:
            return [("a:" + account.lower(), self.per_account), ("ip:" + address, self.per_address)]
        return [("a:" + account.lower(), self.per_account), ("ip?:" + address, self.per_address)]

    def blocked_for(self, account: str, address: str, known: bool = True) -> int:
        """Seconds until a login may be tried again (0: now)."""
        now = time.monotonic()
        with self._lock:
            waits = []
            for key, limit in self._keys(account, address, known):
                q = self._recent(key, now)
                if len(q) >= limit:
                    backoff = min(self.max_wait, self.base ** (len(q) - limit + 1))
                    left = q[-1] + backoff - now
                    if left > 0:
                        waits.append(int(left) + 1)
            return max(waits, default=0)

    def failed(self, account: str, address: str, known: bool = True) -> None:
        now = time.monotonic()
        with self._lock:
            for key, _ in self._keys(account, address, known):
                self._recent(key, now).append(now)
            if len(self._fails) > 100_000:   # bounded memory under a flood of made-up names
                self._fails = {k: v for k, v in self._fails.items() if v and v[-1] > now - self.window}

    def succeeded(self, account: str, address: str = "") -> None:
        with self._lock:
            self._fails.pop("a:" + account.lower(), None)
            self._fails.pop("ip:" + address, None)


class DbThrottle(Throttle):
    """The same policy as Throttle, its failures kept in the database (login_failures): every server process
    on the database counts the same failures, and a restart forgets none. Keys and limits as Throttle's."""

    def __init__(self, sessions: Any, **kw: Any):
        super().__init__(**kw)
        self.sessions = sessions
        self._writes = 0

    @staticmethod
    def _now_ms() -> int:
        return int(time.time() * 1000)

    def blocked_for(self, account: str, address: str, known: bool = True) -> int:
        from sqlalchemy import func, select

        from .db import LoginFailure
        now = self._now_ms()
        since = now - int(self.window * 1000)
        waits = []
        with self.sessions() as s:
            for key, limit in self._keys(account, address, known):
                count, last = s.execute(select(func.count(), func.max(LoginFailure.at_ms))
                                        .where(LoginFailure.key == key, LoginFailure.at_ms > since)).one()
                if count >= limit and last is not None:
                    backoff = min(self.max_wait, self.base ** (count - limit + 1))
                    left = (last + backoff * 1000 - now) / 1000
                    if left > 0:
                        waits.append(int(left) + 1)
        return max(waits, default=0)

    def failed(self, account: str, address: str, known: bool = True) -> None:
        from sqlalchemy import delete

        from .db import LoginFailure
        now = self._now_ms()
        with self.sessions() as s:
            for key, _ in self._keys(account, address, known):
                s.add(LoginFailure(key=key[:200], at_ms=now))
            self._writes += 1
            if self._writes % 100 == 1:   # bounded: what is past the window is forgotten
                s.execute(delete(LoginFailure).where(LoginFailure.at_ms < now - int(self.window * 1000)))
            s.commit()

    def succeeded(self, account: str, address: str = "") -> None:
        from sqlalchemy import delete

        from .db import LoginFailure
        with self.sessions() as s:
            s.execute(delete(LoginFailure).where(LoginFailure.key.in_(["a:" + account.lower(), "ip:" + address])))
            s.commit()


def script_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'")


def review_csp() -> str:
    """The review page (engine/review.py) is one self-contained document with one inline script."""
    from perfrules.engine.review import SCRIPT
    return (f"default-src 'none'; script-src {script_hash(SCRIPT)}; style-src 'unsafe-inline'; img-src data:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def headers(csp: str, private: bool) -> dict[str, str]:
    out = {"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
           "Referrer-Policy": "no-referrer", "Cross-Origin-Opener-Policy": "same-origin",
           "Permissions-Policy": "camera=(), microphone=(), geolocation=()"}
    if private:
        out["Cache-Control"] = "no-store"
    return out
