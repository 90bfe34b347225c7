"""The input limits table: literals read within bounds, integers, depth, document size."""

from __future__ import annotations

import pytest

from cfgdiff import limits
from cfgdiff.limits import LimitError


def test_literal_reads_python_literals():
    assert limits.literal("(None, 1)") == (None, 1)


def test_literal_refuses_code():
    with pytest.raises(ValueError, match="not a literal"):
        limits.literal("__import__('os')")


def test_literal_refuses_a_decimal_integer_past_the_digit_limit():
    with pytest.raises(LimitError, match="more than 4,300 digits"):
        limits.literal("[" + "1" * 4301 + "]")


def test_literal_refuses_a_hex_integer_past_the_digit_limit():
    with pytest.raises(LimitError, match="more than 4,300 digits"):
        limits.literal("{'a': 0x" + "f" * 4000 + "}")


def test_literal_gives_up_on_text_the_parser_cannot_nest():
    with pytest.raises(ValueError, match="not a literal"):
        limits.literal("-" * 50_000 + "1")


def test_literal_does_not_parse_a_container_longer_than_the_limit():
    with pytest.raises(ValueError, match="too long"):
        limits.literal("[" + "1," * limits.MAX_LITERAL_CHARS + "]")


def test_literal_parses_one_long_string_whatever_its_length():
    assert limits.literal(repr("x\n" * limits.MAX_LITERAL_CHARS)) == "x\n" * limits.MAX_LITERAL_CHARS


def test_check_depth_allows_the_limit_and_refuses_one_more():
    limits.check_depth(limits.MAX_DEPTH)
    with pytest.raises(LimitError, match="nested more than 100 levels"):
        limits.check_depth(limits.MAX_DEPTH + 1)


def test_a_document_may_expand_to_its_size_in_fields_or_the_floor():
    assert limits.max_document_fields(10) == limits.MIN_DOCUMENT_FIELDS
    assert limits.max_document_fields(50_000) == 50_000


def test_check_int_allows_exactly_the_digit_limit():
    assert limits.check_int(-int("9" * 4300)) == -int("9" * 4300)
    with pytest.raises(LimitError):
        limits.check_int(10**4300)
