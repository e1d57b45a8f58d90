"""The commune workbook: the form (config/form.yaml), its layout as tabs and cells, the
template a commune fills in (.xlsx and Google Sheets requests), the live checks written into it,
reading a workbook's values (local .xlsx with read limits), parsing them, and the rules that judge
them with their issues.

A rule lives in config/form.yaml and runs in ``rules`` (one engine; ``live_checks`` writes the
same rules as formulas); an issue's kinds and severities are in ``issues``.
May import: the base modules, ``ttcs.campaign`` and ``ttcs.google`` (geometry requests only).
"""
