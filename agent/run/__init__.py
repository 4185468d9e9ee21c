"""Running one experiment: approval, audited cluster writes, abort, monitor decisions, run files."""
