"""The domain of nashr: pure publishing steps, their models, and the store that persists them."""
