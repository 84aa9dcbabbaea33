"""The bidding endpoints of API.md."""
