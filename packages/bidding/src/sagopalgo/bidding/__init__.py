"""Sagopalgo bidding context: bid rules, the bid gate, bid history and awards."""
