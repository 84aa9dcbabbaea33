"""The payment endpoints of API.md: checkout, confirm, Toss's webhook, and refunds."""
