"""Reading results from the database: one place for ``show``, the quickstart, ``rank``, ``export`` and the plots.

:mod:`.read` turns one process node into its flat summary (the results record of a pressure point);
:mod:`.query` runs the QueryBuilder queries over many stored records (rank, export, campaign status).
"""
