"""Celery glue: the app, one thin task per step, the dispatcher and the sweeper."""
