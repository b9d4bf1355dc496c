"""Webhooks: the alert pipeline's second channel, for partner systems instead of people.

A partner organisation registers HTTPS endpoints with the event types it wants. A change writes one
WebhookEvent in its own transaction (the outbox, as for emails); a worker gives each endpoint that wants
it a WebhookDelivery and POSTs the event signed per Standard Webhooks 1.0, at least once, with the same
`webhook-id` on every attempt, backing off for about a day. docs/api.md ("Webhooks") is the partner's
side of the contract.

Nothing is imported here: access.models imports access.alerts.webhooks.models while Django loads its apps.
"""
