"""The fixture harness: ``key#=N`` compares the length of a list (link fields hold hashed ids)."""

from extractor.ruletest import get_path, values_equal


def test_length_of_a_list_an_object_and_a_text():
    fields = {"calls": ["http_call:a", "http_call:b"], "target": {"service": "risk"}, "url": "/x"}
    assert get_path(fields, "calls#") == (True, 2)
    assert get_path(fields, "target#") == (True, 1)
    assert get_path(fields, "url#") == (True, 2)
    assert get_path({"calls": []}, "calls#") == (True, 0)


def test_length_of_something_absent_or_not_sized_fails():
    assert get_path({}, "calls#") == (False, None)
    assert get_path({"attempts": 3}, "attempts#") == (False, None)
    assert values_equal(1, get_path({"c": [{"a": 1}]}, "c#")[1])
