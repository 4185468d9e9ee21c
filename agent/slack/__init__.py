"""Slack approvals: the interactivity endpoint and its decisions.

- :mod:`agent.slack.ports`: what the endpoint needs from outside (runs, replies, the signature check).
- :mod:`agent.slack.clicks`: a Slack request parsed into a typed click.
- :mod:`agent.slack.decisions`: who may approve, stale and repeated clicks, what Slack is told.
- :mod:`agent.slack.endpoint`: verify, parse, answer within Slack's 3 s, decide in a worker.
- :mod:`agent.slack.server`: HTTP (``POST /slack/events``, ``GET /healthz``).
"""
