"""Reliability tooling: adversarial input strategies for the property tests, the load benchmark, and the
README "Reliability" report regenerated from measured JSON in results/."""
