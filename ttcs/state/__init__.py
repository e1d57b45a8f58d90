"""The state database (SQLAlchemy over SQLite): raw snapshots stored content-hashed before they
are parsed, verdicts per snapshot and form version, runs, unit rows, accepted submissions, the
feedback tab's state and the summary's last content.

May import: the base modules and ``ttcs.workbook`` (the issue type) only.
"""
