"""The auction day's Lambda handler (EventBridge Scheduler → Lambda → the day's use cases)."""
