"""Adapters that read the real public data sets, as they are, into authfit's contract tables."""
