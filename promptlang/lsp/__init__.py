"""`popsc lsp`: the language server. Editors see the compiler's own diagnostics, and
navigate by the same resolved program the checks use.

    server.py     pygls wiring: one handler per LSP request, no logic of its own
    state.py      one project's sources (disk + open buffers) and incremental checks
    positions.py  character offsets <-> LSP positions (UTF-16 unless negotiated)
    index.py      which declaration every name in the sources refers to
    template_facts.py  types of template variables, from the template checker itself
    hover.py, completion.py, rename.py, symbols.py  the features

Only `server.serve` imports pygls, so `popsc` itself starts as fast as before."""
