"""Citations and bibliographies: the book's bibliography files and CSL style, and one run
of pandoc's citeproc (a complete CSL processor) per build.

``files`` finds and checks the bibliography files, ``styles`` the CSL style, ``pandoc`` runs
pandoc on the book's citations, ``inlines`` turns what pandoc renders into our XHTML. The
pass that puts it all into the book model is ``passes/citations.py``.
"""
