"""The API's memory of editor tokens: entries expire, are capped, and are forgotten on refusal."""

from __future__ import annotations

from ingest.token_cache import TokenCache
from pipeline.store.tokens import Role, TokenInfo

EDITOR = TokenInfo(1, "editor", Role.EDITOR)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_is_remembered_for_its_seconds_and_no_longer() -> None:
    # Given a token found valid now, remembered for 60 s
    clock = Clock()
    cache = TokenCache(60.0, clock)
    cache.remember("digest", EDITOR)

    # Then it is known for 60 s, and looked up again after
    clock.now += 59.9
    assert cache.get("digest") == EDITOR
    clock.now += 0.1
    assert cache.get("digest") is None


def test_a_refused_token_is_forgotten_at_once() -> None:
    cache = TokenCache(60.0, Clock())
    cache.remember("digest", EDITOR)
    cache.forget("digest")
    assert cache.get("digest") is None


def test_nothing_is_remembered_with_zero_seconds() -> None:
    cache = TokenCache(0.0, Clock())
    cache.remember("digest", EDITOR)
    assert cache.get("digest") is None


def test_the_least_recently_found_go_first_past_the_cap() -> None:
    # Given a cache of three, holding three tokens
    cache = TokenCache(60.0, Clock(), max_tokens=3)
    for digest in ("a", "b", "c"):
        cache.remember(digest, EDITOR)

    # When a fourth is found
    cache.remember("d", EDITOR)

    # Then the oldest is forgotten and the rest kept
    assert [cache.get(d) is not None for d in "abcd"] == [False, True, True, True]
