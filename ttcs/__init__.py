"""ttcs: collect, check and consolidate communes' grassroots-information reports.

Domain package: no Prefect import here (except in :mod:`ttcs.cli`, the top layer).
"""

__version__ = "0.1.0"
