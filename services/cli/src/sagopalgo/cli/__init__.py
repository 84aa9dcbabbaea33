"""The ``sagopalgo`` command: run the marketplace, migrate the database, manage admins."""
