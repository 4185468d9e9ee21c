"""What is there: discovery from the namespaces and stack.yaml, the facts and calls inferred from the
manifests (with their evidence), who fails for users with whom, the refusals before any advice, its
views, the stack.yaml ``init`` drafts, and prompt summaries."""
