"""Dev-only pytest plugin and helpers: real-service fixtures for MariaDB and Redis."""
