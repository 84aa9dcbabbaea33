"""Pure bid rules: what the gate accepts, and what the house bids for a maximum."""
