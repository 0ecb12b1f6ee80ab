"""Storage layer: SQLModel tables, async engine and sessions, queries, migrations.

Import what you need from the modules (storage.engine, storage.migrate, storage.queries.*):
this package itself imports nothing, so a command that needs no database stays quick.
"""
