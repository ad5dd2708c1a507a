"""The HTTP service (FastAPI); import `authfit.serve.api` for the app factory."""
