"""One module per graph node; each returns a typed partial update of RunState."""
