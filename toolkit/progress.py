"""Progress display for long work (training, emulation, selection, synthesis).

Bars go to stderr so ``--json`` output on stdout stays machine-readable, and they
vanish when stderr is not a terminal (CI logs stay short).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

T = TypeVar("T")

_console = Console(stderr=True)


def progress() -> Progress:
    """A rich Progress bound to stderr with the toolkit's columns."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[status]}"),
        console=_console,
        transient=False,
        disable=not _console.is_terminal,
    )


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a progress bar."""
    with progress() as bar:
        task = bar.add_task(description, total=total, status="")
        for item in items:
            yield item
            bar.advance(task)


def keras_epochs_callback(description: str, epochs: int) -> Any:
    """A Keras callback showing one bar over epochs, with loss and accuracy."""
    import tensorflow as tf

    class _EpochBar(tf.keras.callbacks.Callback):
        def on_train_begin(self, logs: dict | None = None) -> None:
            self._bar = progress()
            self._bar.start()
            self._task = self._bar.add_task(description, total=epochs, status="")

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            logs = logs or {}
            status = " ".join(f"{k}={v:.3f}" for k, v in logs.items() if isinstance(v, float))
            self._bar.update(self._task, advance=1, status=status)

        def on_train_end(self, logs: dict | None = None) -> None:
            self._bar.stop()

    return _EpochBar()
