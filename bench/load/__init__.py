"""Load benchmark: Duster served as `make run` serves it, driven by wrk
(see bench/README.md). `python -m bench.load --help`."""
