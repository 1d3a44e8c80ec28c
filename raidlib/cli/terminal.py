"""Output to a terminal, a file or a pipe: characters its encoding lacks, and a reader that
went away (``| head``)."""

from __future__ import annotations

import codecs
import contextlib
import os
import select
import sys


def tolerate_unencodable_output() -> None:
    """Print a character the output's encoding lacks as ``?`` instead of failing on it.

    On Windows, output to a file or a pipe is cp1252: a player named 龍騎士, or the arrow of a
    summary line, raised ``UnicodeEncodeError`` after the work was done, and the command
    exited 1. UTF-8 output is left alone.
    """
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            utf8 = codecs.lookup(encoding).name == "utf-8"
        except LookupError:
            utf8 = False
        if not utf8 and getattr(stream, "errors", None) == "strict":
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="replace")


EXIT_READER_GONE = 141
"""128 + SIGPIPE: what a shell reports for a command whose output's reader went away."""


def stdout_reader_gone(exc: BrokenPipeError) -> int:
    """:data:`EXIT_READER_GONE` after ``exc`` when stdout's reader went away (``| head``),
    with stdout pointed at the null device so that the interpreter's last flush raises nothing
    more; ``exc`` itself when it came from elsewhere (a socket), which is a real failure."""
    if not _stdout_reader_gone():
        raise exc
    with contextlib.suppress(AttributeError, OSError, ValueError):  # not a real file: no flush
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_READER_GONE


def _stdout_reader_gone() -> bool:
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # a stream in memory: does it still write?
        try:
            sys.stdout.write("")
            sys.stdout.flush()
        except BrokenPipeError:
            return True
        return False
    if not hasattr(select, "poll"):  # Windows: no way to ask; the error was most likely ours
        return True
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
