"""Performance and accuracy figures: `make bench` (python -m bench)."""
