"""Password hashing off the request path (issue 26 item 4): a bureau adding 2,000 units gets its page at
once, and argon2id runs in worker processes, at most `workers` at a time, writing each hash when it is done.
Logins verify in the same workers, so fifty at once cost two argon2id computations at a time, not fifty.

The passwords shown once on the accounts page are made in the request; only their hashes wait. Until its
hash is written an account is 建立中: logging in with it says so and to try again shortly. A server stopped
before every hash was written leaves those accounts 建立中; the round page says how many, and 重置密码 gives
them a new password. argon2id's parameters are OWASP's recommended minimum (19 MiB, 2 iterations, 1 lane;
security.ARGON2_*): about 25 ms a hash here, so 2,000 accounts take about half a minute on two workers.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from typing import Any

from . import security

PENDING = "pending:argon2id"   # not a hash: verifies nothing; the account is 建立中
log = logging.getLogger("perfrules.serve")


class Hasher:
    def __init__(self, sessions: Any, workers: int):
        self.sessions, self.workers = sessions, workers
        self._pool: Any = None
        self._lock = threading.Lock()

    def hash_now(self) -> bool:
        """Whether hashes are made in the request (no workers: tests, or --workers 0)."""
        return self.workers <= 0

    def verify(self, stored: str | None, password: str) -> bool:
        """security.verify_password, in a worker when there are workers: a burst of logins then costs at most
        `workers` argon2id computations (64 MiB each) at once, not one per request thread."""
        if self.hash_now():
            return security.verify_password(stored, password)
        return bool(self._run(security.verify_password, stored, password).result(timeout=60))

    def _run(self, func: Any, *args: Any) -> Any:
        with self._lock:
            if self._pool is None:
                from concurrent.futures import ProcessPoolExecutor
                self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
            return self._pool.submit(func, *args)

    def submit(self, user_id: int, password: str) -> None:
        """Hash `password` for the account `user_id` (already committed with PENDING) in a worker."""
        future = self._run(security.hash_password, password)
        future.add_done_callback(lambda f, uid=user_id: self._store(uid, f))

    def _store(self, user_id: int, future: Any) -> None:
        from .db import User
        try:
            hashed = future.result()
        except Exception:  # noqa: BLE001 - a worker that died leaves the account 建立中; the round page says so
            log.exception("hashing the password of account %s failed", user_id)
            return
        with self.sessions() as s:
            user = s.get(User, user_id)
            if user is not None and user.password_hash == PENDING:
                user.password_hash = hashed
                s.commit()

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=False)
                self._pool = None
