"""Reliability tooling: adversarial input strategies for the property tests, the load benchmark, and the
the "Reliability" report (docs/reliability.md) regenerated from measured JSON in results/."""
