"""Slack approvals: the interactivity endpoint and its decisions."""
