"""A fake of the Google endpoints gspread and google-auth use (Sheets v4, Drive v3, OAuth).

Reached through the real HTTP stack: a loopback server on 127.0.0.1 and a requests adapter that
rewrites ``https://{sheets,www,oauth2}.googleapis.com/...`` to it. See :class:`FakeGoogle`.
A test double, not part of the product: the ``ttcs`` wheel leaves it out and ``ttcs/``,
``tasks/`` and ``flows/`` never import it. Tests and ``make bench`` reach it from the
repository root (pytest's ``pythonpath``; ``python -m bench.sheets``).
"""

from fakegoogle.cells import ErrorValue, Formula, Shown
from fakegoogle.fake import DEFAULT_OWNER, DEFAULT_SERVICE_ACCOUNT, SCOPES, FakeGoogle
from fakegoogle.faults import Record, max_in_window
from fakegoogle.server import LoopbackAdapter

__all__ = ["DEFAULT_OWNER", "DEFAULT_SERVICE_ACCOUNT", "SCOPES", "ErrorValue", "FakeGoogle",
           "Formula", "LoopbackAdapter", "Record", "Shown", "max_in_window"]
