"""Fault tests: an accepted article is published exactly once, whatever breaks."""
