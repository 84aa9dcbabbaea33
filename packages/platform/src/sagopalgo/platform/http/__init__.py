"""The HTTP edge both services share: request ids, problem details, health, rate limits."""
