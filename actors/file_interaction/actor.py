"""The ``file_interaction`` actor: ``read_file`` and ``edit_file`` (implemented in ``file_tools``)."""

from file_tools import FileTools as Actor

__all__ = ["Actor"]
