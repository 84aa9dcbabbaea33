"""Shared kernel: the few pure concepts every context agrees on (money, time, error kinds)."""
