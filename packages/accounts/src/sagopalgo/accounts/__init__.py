"""Accounts context: who users are, how they prove it, and the sessions that follow from it."""
