"""The one-line progress report on stderr that every long run prints.

``Progress(label, total)`` is silent for runs shorter than :data:`AUTO_DELAY`
seconds; after that it redraws one line in place on a terminal (at most once
per second) or appends a line at most every 5 seconds to a log file, and ends
with the total time. Training (:func:`reference.training.algorithm.two_stage_ngd`) and
every experiment that loops over runs use it.
"""

import sys
import time

__all__ = ["Progress", "AUTO_DELAY"]

#: Seconds of silence before an automatic (``enabled=None``) progress line starts: runs shorter
#: than this print nothing.
AUTO_DELAY = 2.0
#: Seconds between redraws on a terminal, and between lines appended to a non-terminal stream.
TTY_INTERVAL, LOG_INTERVAL = 1.0, 5.0


class Progress:
    """A one-line progress report on stderr, redrawn at most once per second.

    Parameters
    ----------
    label : str
        What is running (the start of every line).
    total : int
        Number of units (iterations, runs) in the whole job.
    enabled : None or bool
        ``None`` (auto): print only after :data:`AUTO_DELAY` seconds, so short runs
        stay silent; ``True``: print from the first tick; ``False``: never print.
    delay : float, optional
        Seconds of silence in auto mode (default :data:`AUTO_DELAY`, read when built).
    stream : file-like, optional
        Where to write (default ``sys.stderr``).

    Notes
    -----
    Serves no statement of the paper: long runs say on stderr how far they are
    (docs/experiments.md).
    """

    def __init__(self, label, total, enabled=None, delay=None, stream=None):
        self.label, self.total, self.enabled = label, total, enabled
        self.delay = 0.0 if enabled else (AUTO_DELAY if delay is None else float(delay))
        self.stream = stream if stream is not None else sys.stderr
        try:
            self.tty = bool(self.stream.isatty())
        except (AttributeError, ValueError):      # a stream without isatty, or a closed one: not a tty
            self.tty = False
        self.interval = TTY_INTERVAL if self.tty else LOG_INTERVAL
        self.start = self.last = time.monotonic()
        self.printed = False

    def _write(self, text):
        self.stream.write(("\r" + text + " " * 8) if self.tty else text + "\n")
        self.stream.flush()

    def tick(self, done, text=""):
        """Report ``done`` of ``total`` units (cheap when nothing is printed).

        Parameters
        ----------
        done : int
            Units finished so far.
        text : str
            Extra information for the line (for example the current loss).
        """
        if self.enabled is False:
            return
        now = time.monotonic()
        if now - self.start < self.delay or (self.printed and now - self.last < self.interval):
            return
        self.last, self.printed = now, True
        self._write(f"{self.label}: {done}/{self.total} {text} [{now - self.start:.0f} s]")

    def close(self):
        """Print the total time (and end the line) if anything was printed; otherwise nothing."""
        if self.printed:
            self._write(f"{self.label}: done in {time.monotonic() - self.start:.1f} s")
            if self.tty:
                self.stream.write("\n")
                self.stream.flush()
