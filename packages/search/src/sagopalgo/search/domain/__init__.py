"""The search context's pure core: how text becomes terms, what a query and a hit are."""
