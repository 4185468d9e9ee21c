"""Property-based tests: hostile and random input never leaks a traceback or a foreign exception."""
