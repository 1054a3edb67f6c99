"""Elections name their voters in the members' logs (cluster.raft_votes), with three
in-process members: the fault tests read these lines to tell whose vote elected a leader."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import pytest

from tests.cluster.members import members

ELECTED = re.compile(r"raft: elected leader of term (\d+) by (.+)")
VOTED = re.compile(r"raft: voted for (\S+) in term (\d+)")


def _lines(caplog: pytest.LogCaptureFixture, pattern: re.Pattern[str]) -> list[tuple[str, ...]]:
    return [m.groups() for r in caplog.records if (m := pattern.fullmatch(r.getMessage()))]


def test_each_election_names_the_members_whose_votes_it_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cluster.raft_votes")
    with members(tmp_path) as group:
        for i in range(3):
            group.start(i)
        first = group.leader()
        term = first.raftCurrentTerm
        won = [by for t, by in _lines(caplog, ELECTED) if int(t) == term]
        assert len(won) == 1, _lines(caplog, ELECTED)
        voters = won[0].split(", ")
        assert str(first.selfNode.id) in voters and len(voters) >= 2
        assert set(voters) <= set(group.addrs)
        votes = {(addr, int(t)) for addr, t in _lines(caplog, VOTED)}
        assert (str(first.selfNode.id), term) in votes  # the other voters logged their vote

        gone = group.index(first)
        group.stop(gone)
        second = group.leader()
        deadline = time.monotonic() + 10
        while not [by for t, by in _lines(caplog, ELECTED) if int(t) == second.raftCurrentTerm]:
            assert time.monotonic() < deadline, "the second election was not logged"
            time.sleep(0.05)
        (by,) = [by for t, by in _lines(caplog, ELECTED) if int(t) == second.raftCurrentTerm]
        assert set(by.split(", ")) == {a for i, a in enumerate(group.addrs) if i != gone}
