"""The feature stage: decoding, windows, feature workers and the on-disk cache."""
