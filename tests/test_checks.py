"""The shared argument checks: the messages readers see."""

import math

import pytest

from fieldguide import checks


def test_number():
    assert checks.number("x", "2.5") == 2.5
    assert checks.number("x", 3, 0, 3) == 3.0
    for bad, msg in ((True, "a number"), ("many", "a number"), (math.nan, "finite"), (math.inf, "finite"),
                     (5, "between 0 and 3")):
        with pytest.raises(ValueError, match=msg):
            checks.number("x", bad, 0, 3)
    with pytest.raises(ValueError, match="positive"):
        checks.number("x", 0, positive=True)


def test_whole():
    assert checks.whole("n", 4.0) == 4 and isinstance(checks.whole("n", 4.0), int)
    for bad, msg in ((True, "whole"), ("four", "whole"), (1.5, "whole"),
                     (math.nan, "finite"), (-1, "negative")):
        with pytest.raises(ValueError, match=msg):
            checks.whole("n", bad)
    with pytest.raises(ValueError, match="at least 2"):
        checks.whole("n", 1, 2)
    with pytest.raises(ValueError, match="at most 9"):
        checks.whole("n", 10, 0, 9)
