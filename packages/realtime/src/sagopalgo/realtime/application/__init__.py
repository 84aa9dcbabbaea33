"""Fan-out of lot events to many connections from one follower per process."""
