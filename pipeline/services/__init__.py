"""The use cases: each step's body, publishing, listing rebuilds, the sweep and replays."""
