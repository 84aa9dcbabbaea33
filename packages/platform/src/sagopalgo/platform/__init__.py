"""Technical plumbing shared by the services and context adapters: settings, SQL, Redis, HTTP edges."""
