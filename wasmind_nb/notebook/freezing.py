"""Widget outputs that read without their kernel: each one turns into plain output when its work ends.

A widget's output holds only a model id; once the kernel is gone (a saved notebook reopened, an exported
page, GitHub) the model is missing and JupyterLab shows "Error displaying widget: model not found", while
``nbconvert --execute`` saves the widget state and renders a blank cell offline. So every widget that
wasmind-nb displays gets a display id, and when its work ends (a progress bar closes, a live line ends,
the run a view follows stops) :class:`FreezingDisplay` republishes its output without the widget
mimetype: what is left is plain output (``text/plain``, and for a view the final ``text/html``
snapshot) that every front end shows. A live front end shows the same change at once.

The replacement keeps the output's keys, so nbval (which ignores display updates) and a notebook saved
by nbconvert (which applies them) compare alike once ``notebooks/nbval_sanitize.cfg`` masks what moved.
"""

from __future__ import annotations

import uuid
from typing import Any

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class FreezingDisplay:
    """The outputs of one widget: shown with a display id, later replaced by plain output."""

    def __init__(self) -> None:
        self.display_id = uuid.uuid4().hex
        self._plain: dict[str, Any] | None = None
        self._metadata: dict[str, Any] = {}
        self.frozen = False

    @property
    def shown(self) -> bool:
        return self._plain is not None

    def show(self, data: dict[str, Any], metadata: dict[str, Any] | None = None) -> None:
        """Display ``data`` (a mimebundle with the widget view) as one more output of this display."""
        from IPython.display import display

        self._plain = {key: value for key, value in data.items() if key != WIDGET_VIEW}
        self._metadata = {key: value for key, value in (metadata or {}).items() if key != WIDGET_VIEW}
        display(data, metadata=metadata or {}, raw=True, display_id=self.display_id)

    def freeze(self, **replace: str) -> None:
        """Replace every output of this display by its plain part, with the mimetypes in ``replace``
        (``text_html=...``: underscores stand for ``/``) updated; nothing when it was never shown."""
        if self._plain is None or not _in_kernel():  # a terminal would print the output again
            return
        from IPython.display import update_display

        for key, value in replace.items():
            mime = key.replace("_", "/", 1)
            if mime in self._plain:
                self._plain[mime] = value
        update_display(self._plain, metadata=self._metadata, raw=True, display_id=self.display_id)
        self.frozen = True


def progress_bar(text: str | None = None, **options: Any) -> tuple[Any, FreezingDisplay | None]:
    """A ``tqdm.auto`` bar: in a notebook a widget shown through a :class:`FreezingDisplay` (returned
    with it), its ``text/plain`` being ``text`` if given; elsewhere a line on stderr (``None``)."""
    from tqdm.auto import tqdm
    from tqdm.notebook import tqdm_notebook

    if not issubclass(tqdm, tqdm_notebook):  # a terminal: tqdm.auto chose the text bar
        return tqdm(**options), None
    bar = tqdm(**options, display=False)
    shown = FreezingDisplay()
    data, metadata = _bundle(bar.container)
    if text is not None:
        data["text/plain"] = text
    shown.show(data, metadata)
    return bar, shown


def close_bar(bar: Any, shown: FreezingDisplay | None, *, final_text: bool = True) -> None:
    """Close ``bar``; in a notebook its output becomes text: the bar's last line (``final_text``) or the
    text it was shown with."""
    bar.close()
    if shown is not None:
        shown.freeze(**({"text_plain": repr(bar.container)} if final_text else {}))


def _in_kernel() -> bool:
    """Whether outputs go to a Jupyter front end (a kernel), where a display can be updated in place."""
    from IPython import get_ipython

    return getattr(get_ipython(), "kernel", None) is not None


def _bundle(widget: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    bundle = widget._repr_mimebundle_()
    if isinstance(bundle, tuple):
        return bundle[0], bundle[1] or {}
    return bundle, {}


__all__ = ["WIDGET_VIEW", "FreezingDisplay", "close_bar", "progress_bar"]
