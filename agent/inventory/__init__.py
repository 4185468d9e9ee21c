"""What is there: discovery from stack.yaml and the Kubernetes API, its views and prompt summaries."""
