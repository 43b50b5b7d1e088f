"""Emitters: one module per target, each turning the IR into files of a FileSet."""
