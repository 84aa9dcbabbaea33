"""Accounts use cases."""
