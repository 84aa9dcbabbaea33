"""Bidding use cases: place a bid, rebuild a lost gate, write the bid log, read history and prices."""
