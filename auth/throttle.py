"""Login throttling: at most N failed logins per (client IP, username) in a sliding window.

Why per IP *and* username: per username alone lets anyone lock a colleague out; per IP alone punishes a
whole command center behind one NAT. A success clears the pair. With ``REDIS_URL`` the counts live in
Redis (``INCR`` + ``EXPIRE``), so every process behind the balancer shares them; without it they are
per process (enough for the embedded single-process install). A Redis outage fails open (logged):
logins must keep working when the message queue is down.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Callable

log = logging.getLogger("cityops.auth")


class LoginThrottle:
    def __init__(self, max_failures: int = 10, window_s: int = 300, redis_url: str | None = None,
                 clock: Callable[[], float] = time.monotonic, prefix: str = "cityops:login:") -> None:
        self.max_failures = max_failures
        self.window_s = max(int(window_s), 1)
        self.clock = clock
        self.prefix = prefix
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = {}
        self._redis = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1)

    def _key(self, ip: str, username: str) -> str:
        # hashed: neither the IP nor the name typed (which may be a password pasted by mistake) is stored
        return self.prefix + hashlib.sha256(f"{ip}\0{username.strip().lower()}".encode()).hexdigest()[:32]

    def blocked(self, ip: str, username: str) -> bool:
        if self.max_failures <= 0:
            return False
        return self._count(self._key(ip, username)) >= self.max_failures

    def failed(self, ip: str, username: str) -> None:
        if self.max_failures <= 0:
            return
        key = self._key(ip, username)
        if self._redis is not None:
            try:
                pipe = self._redis.pipeline()
                pipe.incr(key)
                pipe.expire(key, self.window_s, nx=True)
                pipe.execute()
                return
            except Exception:  # noqa: BLE001
                log.warning("login throttle: Redis unavailable, counting in this process")
        now = self.clock()
        with self._lock:
            recent = [t for t in self._failures.get(key, []) if t > now - self.window_s]
            recent.append(now)
            self._failures[key] = recent

    def succeeded(self, ip: str, username: str) -> None:
        key = self._key(ip, username)
        if self._redis is not None:
            try:
                self._redis.delete(key)
            except Exception:  # noqa: BLE001
                pass
        with self._lock:
            self._failures.pop(key, None)

    def _count(self, key: str) -> int:
        if self._redis is not None:
            try:
                value = self._redis.get(key)
                return int(value) if value else self._local(key)
            except Exception:  # noqa: BLE001
                log.warning("login throttle: Redis unavailable, counting in this process")
        return self._local(key)

    def _local(self, key: str) -> int:
        now = self.clock()
        with self._lock:
            return sum(1 for t in self._failures.get(key, []) if t > now - self.window_s)


__all__ = ["LoginThrottle"]
