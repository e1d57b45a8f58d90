"""Google: every request ttcs makes to Google Sheets and Drive, and nothing else.

``urls`` is the one module that names Google's addresses; ``transport`` is the paced,
retried, timed HTTP client (quota buckets: Sheets reads, Sheets writes, Drive); ``api`` is the
thin layer every other module calls (spreadsheets get with a field mask, batch updates, Drive
listing with its paging, files, permissions, and the pacing reserve). It imports nothing of
ttcs but ``errors``, ``pacing``, ``values`` (``keys`` checks the key files).
"""
