"""The training pipeline: `authfit train` wires features, the four models, bundles and MLflow."""
