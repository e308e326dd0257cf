"""Loading a user-chosen model, falling back to the bundled one when the chosen one is broken.

A damaged or missing model in Settings must not leave the user without dictation or voice:
the bundled default loads instead, and the notice names the file that failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, TypeVar

from voxpad.errors import ModelError

Model = TypeVar("Model")


def load_with_fallback(load: Callable[[Path | None], Model], chosen: Path | None,
                       what: str) -> tuple[Model, str | None]:
    """``load(chosen)``, or ``load(None)`` (the bundled model) if that raises ModelError.

    Returns the model and, after a fall back, a sentence for the user saying what happened.
    If the bundled model is broken too, raises a ModelError that names both.
    """
    if chosen is None:
        return load(None), None
    try:
        return load(chosen), None
    except ModelError as chosen_error:
        try:
            model = load(None)
        except ModelError as bundled_error:
            raise ModelError(f"{chosen_error} The bundled {what} could not be loaded either: {bundled_error}") \
                from bundled_error
        return model, f"{chosen_error} Using the bundled {what} instead."
