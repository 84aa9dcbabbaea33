"""Pure rules of identity: what a valid account is and how a session's tokens may be spent."""
