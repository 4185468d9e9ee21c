"""The web console (``python -m agent web``): runs, one run live, approvals, reports, history, the
audit log and the inventory, over the same state and the same functions as the CLI.

``console`` is what the pages call (no HTTP in it); ``app`` builds the Starlette application;
``auth`` signs people in and guards every form; ``live`` streams a run's signals (server-sent
events); ``history`` derives the resilience score from the runs; ``metrics`` is ``/metrics``.
"""
