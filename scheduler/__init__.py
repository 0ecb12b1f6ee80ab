"""Reminders and broadcasts: APScheduler decides when, the outbox and its sender deliver.

Jobs (scheduler/jobs.py) decide *who must be told what* and write outbox rows with a
unique key per (occasion, recipient); the sender (scheduler/sender.py) drains the
outbox within each channel's limits, outside quiet hours. Only the leader process
(scheduler/leader.py) runs either.
"""
