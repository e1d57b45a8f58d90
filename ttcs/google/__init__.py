"""Google: every request ttcs makes to Google Sheets and Drive, and the credentials for them.

``urls`` is the one module that names Google's addresses; ``transport`` is the paced,
retried, timed HTTP client (quota buckets: Sheets reads, Sheets writes, Drive) over ``pacing``
(the sliding-window limiter and the capped retry); ``api`` is the thin layer every other module
calls (spreadsheets get with a field mask, batch updates, Drive listing with its paging, files,
permissions, and the pacing reserve); ``sheets_geometry`` builds column-width and merge
requests; ``keys``, ``secret_key`` and ``oauth`` read the service-account key (file or Prefect
Secret value) and the coordinator's OAuth token.

May import: the base modules (``ttcs.errors``, ``ttcs.labels``, ``ttcs.text``) and
``ttcs.campaign`` (the settings) only; it knows nothing of workbooks, the run or its outputs.
"""
