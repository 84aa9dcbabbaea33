"""Payments adapters: the Toss Payments client and a local fake of Toss's server."""
