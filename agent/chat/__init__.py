"""The chat REPL and its tool-calling agent."""
