"""Rendering: values in, bytes out; pages, listing entries, feeds, the ticker, outputs."""
