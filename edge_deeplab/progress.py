"""The console: progress that fits where the output goes, and the one way messages and warnings reach
the user (say: stdout, the default `log` of the library functions; warn: stderr, beside the progress).

On a terminal: a live tqdm bar (rate and time left). Anywhere else (CI, nohup, `| tee`, a log file):
no carriage-return updates at all, which turn a log into one unreadable line, but one line when a
unit of work ends (an epoch, a stage, an evaluation). Disabled: nothing.
"""

from __future__ import annotations

import sys
import time
from typing import Callable, Optional


def say(text: str) -> None:
    """A message for the user: one line on stdout."""
    print(text, flush=True)


def warn(text: str) -> None:
    """A warning: one line on stderr, where progress lines go, starting with 'warning: '."""
    print(f"warning: {text}", file=sys.stderr, flush=True)


def interactive() -> bool:
    """True where both stdout and stderr are terminals: only there do bars redraw in place."""
    return all(getattr(stream, "isatty", lambda: False)() for stream in (sys.stdout, sys.stderr))


class _Lines:
    """The non-terminal stand-in for a tqdm bar: counts quietly, says one line when closed."""

    def __init__(self, total, desc: str, unit: str, initial: int, write: Callable[[str], None], summary: bool):
        self.total, self.desc, self.unit, self.n = total, desc, unit, initial
        self._start, self._initial, self._write, self._summary = time.perf_counter(), initial, write, summary
        self._postfix, self._closed = "", False

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix(self, **values) -> None:
        self._postfix = ", ".join(f"{key}={value}" for key, value in values.items())

    def set_postfix_str(self, text: str) -> None:
        self._postfix = text

    def note(self, text: str) -> None:
        """A line of its own (shown in line mode only: a terminal has the bar)."""
        self._write(text)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if not self._summary or self.n == self._initial:
            return
        seconds = time.perf_counter() - self._start
        rate = (self.n - self._initial) / seconds if seconds > 0 else 0.0
        total = f"/{self.total}" if self.total else ""
        postfix = f" ({self._postfix})" if self._postfix else ""
        self._write(f"{self.desc}: {self.n}{total} {self.unit} in {seconds:.1f} s, {rate:.2f} {self.unit}/s{postfix}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Silent(_Lines):
    def __init__(self):
        super().__init__(0, "", "", 0, lambda text: None, summary=False)


class _Bar:
    """tqdm, plus note() that prints nothing (the bar already shows it)."""

    def __init__(self, bar):
        self._bar = bar

    def __getattr__(self, name):
        return getattr(self._bar, name)

    def note(self, text: str) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._bar.close()


def progress_bar(
    total: Optional[int] = None,
    desc: str = "",
    unit: str = "it",
    enabled: bool = True,
    initial: int = 0,
    summary: bool = True,
    write: Optional[Callable[[str], None]] = None,
):
    """A bar on a terminal, one closing line elsewhere (`summary=False`: none, where the caller logs its
    own line per unit of work), nothing when not `enabled`. Use as a context manager or close() it."""
    if not enabled:
        return _Silent()
    if interactive():
        from tqdm import tqdm

        return _Bar(tqdm(total=total, desc=desc, unit=unit, initial=initial, dynamic_ncols=True))
    return _Lines(total, desc, unit, initial, write or (lambda text: print(text, file=sys.stderr, flush=True)), summary)
