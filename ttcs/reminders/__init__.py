"""Reminders: who is reminded of what, from the latest run (``remind``), the message texts
rendered from config/messages (``messages``), sending by e-mail and Apprise (``notify``) and the
log of what was sent, so nothing is sent twice (``reminder_log``).

May import: the base modules, ``ttcs.campaign``, ``ttcs.workbook``, ``ttcs.google`` (links),
``ttcs.state``; never ``ttcs.run`` or ``ttcs.outputs``.
"""
