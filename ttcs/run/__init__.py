"""The nightly run, without Prefect: list and fetch what changed (``collect``), judge each
located file (``assess``: parse, rules, verdict cached per form version), classify the units
(``classify``: statuses, flags, accepted submissions), the lock that keeps one run per campaign
(``run_lock``) and the progress counts (``progress``).

May import: the base modules, ``ttcs.campaign``, ``ttcs.workbook``, ``ttcs.google``,
``ttcs.state`` and ``ttcs.backends``.
"""
