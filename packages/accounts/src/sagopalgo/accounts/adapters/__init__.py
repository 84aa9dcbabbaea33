"""Accounts adapters: SQL storage, argon2 hashing, JWT signing and the HTTP edge."""
