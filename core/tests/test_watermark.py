"""Polling by last-modified time: nothing lost at the boundary second, nothing repeated."""

from __future__ import annotations

from fusionhub.plugin import Changes, Watermark

Record = tuple[str, int]


def key(record: Record) -> Record:
    return record


def test_a_change_in_the_boundary_second_is_kept_and_the_ones_reported_there_are_not() -> None:
    first = Changes(Watermark.load(None, 100), key)
    first.take([("a", 100), ("b", 105), ("c", 105)])
    assert first.new == [("a", 100), ("b", 105), ("c", 105)]
    assert first.mark.dump() == {"ts": 105, "ids": ["b", "c"]}

    second = Changes(Watermark.load(first.mark.dump(), 0), key)
    second.take([("b", 105), ("c", 105), ("d", 105), ("b", 107)])
    assert second.new == [("d", 105), ("b", 107)]  # d landed in the same second; b changed again
    assert second.mark.dump() == {"ts": 107, "ids": ["b"]}


def test_a_record_on_two_pages_is_kept_once_and_an_older_one_ends_a_newest_first_read() -> None:
    changes = Changes(Watermark(50), key)
    assert changes.take([("x", 60), ("y", 55)]) is False
    assert changes.take([("y", 55), ("z", 40)]) is True
    assert changes.new == [("x", 60), ("y", 55)]
    assert Watermark.load("not a dump", 7) == Watermark(7)
