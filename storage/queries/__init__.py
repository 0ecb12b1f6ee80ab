"""Async, keyword-only query functions; each takes an AsyncSession first.

Write functions commit (audit row included in the same transaction); read functions
do not. Sessions should come from storage.engine.session_factory (expire_on_commit=False).
"""
