"""Speed and memory figures, measured and printed (never asserted): `make bench`."""
