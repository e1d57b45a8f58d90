"""What a run produces: the typed run result (``run_result``), the province consolidation
(``consolidate``), status.json (``status_doc``, the only place the result becomes JSON), the
summary workbook and sheet (``summary``, ``summary_xlsx``, ``summary_sheets``), the attention
list of the artifacts (``attention``), ``publish`` that writes them, the cache that skips an
unchanged output (``outputs_cache``) and the feedback tab in each commune spreadsheet
(``feedback``).

May import: everything below it — the base modules, ``ttcs.campaign``, ``ttcs.workbook``,
``ttcs.google``, ``ttcs.state``, ``ttcs.backends``, ``ttcs.run``.
"""
