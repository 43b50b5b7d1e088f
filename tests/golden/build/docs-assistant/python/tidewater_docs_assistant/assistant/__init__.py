"""The `assistant` modules of the project."""
