"""Accounts' HTTP edge: the sign-up/sign-in endpoints and the bearer-token authentication."""
