"""WASI p2 in Python, for components that import ``wasi:http``: every interface that shares its streams.

wasmtime's native ``wasi:http`` sends a guest's requests wherever it asks (its C API takes no hooks), so
the host serves ``wasi:http`` itself, over the ``http`` capability's policy and transport. Its bodies are
``wasi:io`` streams and pollables, so ``wasi:io`` and each imported interface whose types mention them
(std streams, the monotonic clock, filesystem) are served here too, for those components only: every
other component keeps wasmtime's native WASI. See :mod:`.linker` for the assembly.
"""
