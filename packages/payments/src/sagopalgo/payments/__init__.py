"""Sagopalgo payments context: orders for awards and Toss Payments."""
