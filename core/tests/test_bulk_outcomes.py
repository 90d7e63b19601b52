"""Per-item outcomes of a platform bulk write: failed, unknown (no result line), and the summary."""

from __future__ import annotations

from fusionhub.plugin import OUTCOME_UNKNOWN, bulk_summary, tally_lines


def test_a_run_adds_failures_and_items_without_a_line() -> None:
    # the run wrote lines for items 0, 2, 5 and 7 (in that order); line 3 never came back
    outcomes = tally_lines(
        {"failed": {"1": ["earlier"]}, "unknown": [], "pending": []}, [0, 2, 5, 7], {0: [], 1: ["x: bad"], 2: []}
    )
    assert outcomes == {"failed": {"1": ["earlier"], "2": ["x: bad"]}, "unknown": [7], "pending": []}
    again = tally_lines(outcomes, [2, 4], {0: ["y: worse"]})
    assert again["failed"]["2"] == ["x: bad", "y: worse"] and again["unknown"] == [4, 7]


def test_the_summary_counts_every_item_once() -> None:
    summary = bulk_summary({"failed": {"3": ["a"], "1": ["b"]}, "unknown": [3, 4]}, total=6)
    assert summary["total"] == 6 and summary["failed"] == 2 and summary["unknown"] == 1  # item 3 failed
    assert summary["succeeded"] == 3
    assert [(e["index"], e.get("category")) for e in summary["errors"]] == [(1, None), (3, None), (4, OUTCOME_UNKNOWN)]
    assert bulk_summary({}, total=2) == {"total": 2, "succeeded": 2, "failed": 0, "unknown": 0, "errors": []}


def test_the_summary_keeps_at_most_max_errors_entries() -> None:
    summary = bulk_summary({"failed": {str(i): ["no"] for i in range(5)}}, total=5, max_errors=2)
    assert summary["failed"] == 5 and [e["index"] for e in summary["errors"]] == [0, 1]


def test_a_job_reports_unknown_items_as_neither_ok_nor_failed() -> None:
    from fusionhub.jobs.runner import bulk_from_handle
    from fusionhub.models import OperationHandle, OperationStatus

    summary = bulk_summary({"failed": {"1": ["b"]}, "unknown": [4]}, total=6)
    handle = OperationHandle(operation_id="op", kind="bulk_mutation", status=OperationStatus.COMPLETED, result=summary)
    result = bulk_from_handle(handle)
    assert (result.total, result.succeeded, result.failed, result.unknown) == (6, 4, 1, 1)
    by_index = {i.index: i for i in result.items}
    assert len(by_index) == 6 and not by_index[1].ok and by_index[1].error == "b"
    assert not by_index[4].ok and by_index[4].error_category == OUTCOME_UNKNOWN
    assert all(by_index[i].ok for i in (0, 2, 3, 5))
