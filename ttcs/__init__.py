"""ttcs: collect, check and consolidate communes' grassroots-information reports.

Domain package: no Prefect import here (except in :mod:`ttcs.cli`, the top layer). Its
subpackages, each importing only those before it (docs/design.md, tests/test_architecture.py):
the base modules ``errors``, ``labels``, ``text``; ``campaign``; ``google``; ``workbook``;
``state``; ``backends``; ``run``; ``outputs``; ``reminders``; ``demo``; ``cli``.
"""

__version__ = "0.1.0"
