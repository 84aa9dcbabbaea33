"""The SQL lot indexes: FTS5 on the embedded SQLite, an n-gram table on MariaDB."""
