"""The domain: models, states, errors, the rules every step applies; no I/O, no framework."""
