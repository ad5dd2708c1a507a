"""Model-agnostic training machinery. It takes feature matrices; it knows nothing of influencers.

- `lgbm`: LightGBM cross-validation (grouped stratified for binary, time-ordered Poisson/Tweedie for counts)
- `calibration`: JSON-serialisable calibrators and threshold rules
- `metrics`: classification / count / ranking metrics and PNG plots
- `evaluation`: OOF calibration + threshold + metrics + plots for a binary model in one call
- `bundle`: checksummed model bundles on disk and the `models/latest` pointer
- `tracking`: MLflow logging (embedded SQLite by default, failures non-fatal)
- `promotion`: @champion / @challenger decisions and registry calls
- `pyfunc`: the MLflow pyfunc that serves a bundle
- `comment_spam`: the comment-spam text model (fit, out-of-fold CV, prediction) and its `comment:` settings
- `settings`: the `modeling:` section of configs/train.yaml
"""
