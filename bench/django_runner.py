"""The test runner ``bench.django_suite`` puts into Django's own ``runtests.py``: Django's
``DiscoverRunner`` whose result class records every test's outcome and, for a failure, its
exception's first line, and writes them as JSON to ``$DB9_DJANGO_RESULTS`` when the run ends.

Imported only inside the Django test process (its settings name it as ``TEST_RUNNER``).
"""

from __future__ import annotations

import json
import os
import unittest
from types import TracebackType
from typing import Any

from django.test.runner import DiscoverRunner

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]


def _message(err: _ExcInfo) -> str:
    exc_type, exc, _ = err
    if exc_type is None:
        return ""
    text = str(exc).strip().splitlines()
    return f"{exc_type.__name__}: {text[0][:300] if text else ''}"


class JsonResult(unittest.TextTestResult):
    """Outcomes by test id: ``pass``, ``fail``, ``error``, ``skip``, ``xfail``, ``xpass``."""

    outcomes: dict[str, dict[str, str]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outcomes = {}

    def _set(self, test: unittest.TestCase, outcome: str, message: str = "") -> None:
        previous = self.outcomes.get(test.id())
        if previous and previous["outcome"] in ("fail", "error") and outcome == "pass":
            return  # a failed subtest fails its test
        self.outcomes[test.id()] = {"outcome": outcome, "message": message}

    def addSuccess(self, test: unittest.TestCase) -> None:
        super().addSuccess(test)
        self._set(test, "pass")

    def addError(self, test: unittest.TestCase, err: Any) -> None:
        super().addError(test, err)
        self._set(test, "error", _message(err))

    def addFailure(self, test: unittest.TestCase, err: Any) -> None:
        super().addFailure(test, err)
        self._set(test, "fail", _message(err))

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:
        super().addSkip(test, reason)
        self._set(test, "skip", reason[:200])

    def addExpectedFailure(self, test: unittest.TestCase, err: Any) -> None:
        super().addExpectedFailure(test, err)
        self._set(test, "xfail")

    def addUnexpectedSuccess(self, test: unittest.TestCase) -> None:
        super().addUnexpectedSuccess(test)
        self._set(test, "xpass")

    def addSubTest(self, test: unittest.TestCase, subtest: unittest.TestCase, err: Any) -> None:
        super().addSubTest(test, subtest, err)
        if err is not None:
            failed = issubclass(err[0], test.failureException)
            self._set(test, "fail" if failed else "error", _message(err))

    def stopTestRun(self) -> None:
        super().stopTestRun()
        path = os.environ.get("DB9_DJANGO_RESULTS")
        if path:
            with open(path, "w") as out:
                json.dump(self.outcomes, out, indent=0, sort_keys=True)


class JsonRunner(DiscoverRunner):
    def get_resultclass(self) -> Any:
        return JsonResult
