"""Pure rules of the catalog: the auction day's window, a lot's terms and its life cycle."""
