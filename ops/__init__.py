"""The operators' command line: start, submit, watch queues, replay, republish."""
