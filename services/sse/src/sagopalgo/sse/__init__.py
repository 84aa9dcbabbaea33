"""The SSE service: streams live lot events to browsers (composition only)."""
