"""Editor tokens an API process has found valid lately, so `POST /articles` skips the lookup.

The cache only ever lets a request go on to the accept statement, which checks the token again
in the same write (`ArticleStore.accept_for_editor`): a token revoked a moment ago writes
nothing and is refused, on its very next request, as before. Entries are keyed by the token's
SHA-256 digest (never the token), expire after `seconds`, and are capped in number, so a flood
of tokens cannot grow the process.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from pipeline.store.tokens import TokenInfo

MAX_TOKENS = 1024
"""Tokens remembered at once; the least recently found is forgotten first."""


class TokenCache:
    def __init__(
        self,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_tokens: int = MAX_TOKENS,
    ) -> None:
        self.seconds = seconds
        self.clock = clock
        self.max_tokens = max_tokens
        self._found: OrderedDict[str, tuple[TokenInfo, float]] = OrderedDict()

    def get(self, digest: str) -> TokenInfo | None:
        """The token found valid less than `seconds` ago, or None."""
        entry = self._found.get(digest)
        if entry is None:
            return None
        if entry[1] <= self.clock():
            self._found.pop(digest, None)
            return None
        return entry[0]

    def remember(self, digest: str, info: TokenInfo) -> None:
        if self.seconds <= 0:
            return
        self._found.pop(digest, None)
        self._found[digest] = (info, self.clock() + self.seconds)
        while len(self._found) > self.max_tokens:
            self._found.popitem(last=False)

    def forget(self, digest: str) -> None:
        """A token the store has just refused: the next request looks it up again."""
        self._found.pop(digest, None)
