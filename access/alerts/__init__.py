"""The alert pipeline: subscriptions, the outbox of changes, and its channels (email, the CAP feed).

One module per step, in the order a change travels: outbox (the event, in the change's transaction)
→ enqueue (tasks by registered name, on commit) → recipients and fan_out (one delivery per person,
flood control) → sending and marks (SMTP, each delivery marked sent) → sweep (what a broker outage or a
dead worker left). Beside them: subscriptions, emails and mime, notices, cap; models, choices, admin,
api and views; tasks, which only Celery imports. docs/alerts.md tells the guarantees of each step.

Nothing is imported here: access.models imports access.alerts.models while Django loads its apps.
"""
