"""One trial: split, normalisation, augmentation, fitting, metrics, and the backend's settings."""
