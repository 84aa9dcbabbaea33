"""The heartbeat is a comment (API.md: "a comment heartbeat at least every 15 s"), not an event."""

from sagopalgo.sse.streams import KEEP_ALIVE


def test_the_heartbeat_is_only_a_comment_and_dispatches_no_event() -> None:
    """Any field line, even an empty ``data:``, makes a browser dispatch a ``message`` event, and a
    client parsing the stream by hand take it for a continuation of the last event's fields."""
    text = KEEP_ALIVE.decode()
    assert text.endswith("\r\n\r\n"), "a complete block"
    lines = text.split("\r\n")[:-2]
    assert lines, "something to keep the connection warm"
    assert all(line.startswith(":") for line in lines), lines
