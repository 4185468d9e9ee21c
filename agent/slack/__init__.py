"""Slack approvals and ``/craterctl``: what a click or a command decides (slack-bolt, which receives
them over HTTP or Socket Mode, is an adapter: ``agent.adapters.slack_app``).

- :mod:`agent.slack.ports`: what the Slack side needs from outside (runs, replies, operations, the listener).
- :mod:`agent.slack.clicks`: an interactive payload parsed into a typed click.
- :mod:`agent.slack.decisions`: who may approve, stale and repeated clicks, what Slack is told.
- :mod:`agent.slack.commands`: ``/craterctl`` parsed, who may run it, the ephemeral answers.
- :mod:`agent.slack.workers`: the counted thread pool that answers after the ack.
"""
