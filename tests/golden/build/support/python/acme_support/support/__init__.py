"""The `support` modules of the project."""
