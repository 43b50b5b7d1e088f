"""The `std` modules of the project."""
