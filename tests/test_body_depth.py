"""The live-bed endpoints' nesting check (availability/bodies.py) counts a short body with
a loop and a long one with numpy: both give the same depth for the same brackets."""
import random

import pytest

from directory_service.availability.bodies import json_depth


@pytest.mark.parametrize("text, deepest", [
    (b'{"rows": [{"level_of_care": "3.7-WM", "available": 2}]}', 3),
    (b'"[[[[[[["', 0), (b"2", 0), (b"}}[", -1), (b"[" * 64, 64), (b"[" * 65, 65),
    (b'{"a": "]]]]", "b": [[[]]]}', 4),
])
def test_depth_of_known_bodies(text, deepest):
    assert json_depth(text) == deepest


def test_short_and_long_bodies_agree():
    rng = random.Random(25)
    for _ in range(3000):
        text = bytes(rng.choice(b'[]{}"a,') for _ in range(rng.randint(1, 60)))
        # The same brackets behind 70 more that close at once: the numpy path.
        padded = b"[" * 35 + b"]" * 35 + text
        assert json_depth(padded) == max(35, json_depth(text)), text
