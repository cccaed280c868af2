"""shopetl: a SQL-first e-commerce ETL into PostgreSQL.

Python only streams the CSV files into staging tables (COPY) and runs the
Jinja-rendered SQL stages in ``sql/`` in order; every business rule lives in SQL.
"""

__version__ = "0.1.0"
