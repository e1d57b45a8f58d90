"""A fake of the Google endpoints gspread and google-auth use (Sheets v4, Drive v3, OAuth).

Reached through the real HTTP stack: a loopback server on 127.0.0.1 and a requests adapter that
rewrites ``https://{sheets,www,oauth2}.googleapis.com/...`` to it. See :class:`FakeGoogle`.
No Prefect here: ``make bench`` and ``ttcs demo`` use it too.
"""

from ttcs.fakegoogle.cells import ErrorValue, Formula, Shown
from ttcs.fakegoogle.fake import DEFAULT_OWNER, DEFAULT_SERVICE_ACCOUNT, SCOPES, FakeGoogle
from ttcs.fakegoogle.faults import Record, max_in_window
from ttcs.fakegoogle.server import LoopbackAdapter

__all__ = ["DEFAULT_OWNER", "DEFAULT_SERVICE_ACCOUNT", "SCOPES", "ErrorValue", "FakeGoogle",
           "Formula", "LoopbackAdapter", "Record", "Shown", "max_in_window"]
