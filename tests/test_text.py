"""lib.text: outside text made literal for Markdown slots, and links built safely.

What each rule stops was checked in Chromium against Streamlit 1.67's renderer (see
the module docstring); the browser test with the hostile fixture set checks it again
on every page. These tests pin the rules themselves."""
import re

import pytest

from lib.text import WORD_JOINER, clean, host_allowed, link, literal

OPENERS = re.compile(r"(?<!\\)[\\`*_\[\]<>#|~$&]")     # a Markdown opener without "\\"


def rendered(shown: str) -> str:
    """What a reader sees: escapes resolved, word joiners invisible."""
    return re.sub(r"\\(.)", r"\1", shown).replace(WORD_JOINER, "")


@pytest.mark.parametrize("text", [
    "[Your session expired: sign in](https://evil.example/login)",
    "![x](https://evil.example/pixel.png)",
    "# Heading", ":red[alarm] :smile: :material/warning:", "Set of 2 for $10 and $20",
    "$x^2$", "] ) break out", "<b>bold</b> <img src=x onerror=alert(1)>", "&lt;i&gt;",
    "**bold** _it_ `code` ~~s~~", "| a | b |", "> quote", "1. list", "- item", "+ item",
    "---", "\\[already escaped\\]", "=HYPERLINK(\"https://evil.example\")",
])
def test_markdown_openers_are_escaped_and_the_text_reads_the_same(text):
    shown = literal(text)
    assert not OPENERS.search(re.sub(r"\\.", "", shown)), shown
    assert rendered(shown) == text


@pytest.mark.parametrize("text, shown", [
    ("1. list", "1\\. list"), ("- item", "\\- item"), ("+ item", "\\+ item"),
    ("---", "\\---"), ("-5% off", "-5% off"), ("4.7 / 5 (USD)", "4.7 / 5 (USD)"),
    ("Size: 40L", "Size: 40L"),
    (":red[x] :smile:", "\\:" + WORD_JOINER + "red\\[x\\] \\:" + WORD_JOINER + "smile:"),
    (":material/home:", "\\:" + WORD_JOINER + "material/home:"),
])
def test_list_markers_only_at_the_start_and_directive_colons_only_before_a_word(text, shown):
    assert literal(text) == shown


@pytest.mark.parametrize("text, broken", [
    ("Visit https://evil.example/x", "https\\:" + WORD_JOINER + "//"),
    ("HTTP://EVIL.EXAMPLE", "HTTP\\:" + WORD_JOINER + "//"),
    ("www.evil.example", "www" + WORD_JOINER + "."),
    ("mail evil@evil.example", "@" + WORD_JOINER + "evil"),
])
def test_autolink_literals_are_broken_by_a_word_joiner(text, broken):
    # GFM finds these after escapes are resolved, so escaping alone does not stop them.
    assert broken in literal(text)


def test_newlines_fold_and_invisible_or_direction_characters_go():
    assert literal("two\nlines\r\n\tand # more") == "two lines and \\# more"
    assert clean("pay\u202epal\u200b \u200dx\ufeff\u2066y\u2069") == "paypal xy"
    assert clean("bell\x07 null\x00 esc\x1b") == "bell null esc"


def test_long_text_is_cut_and_a_value_of_any_type_is_text():
    assert len(clean("x" * 5000)) == 2000 and clean("x" * 5000).endswith("…")
    assert literal(None) == "" and literal(12.5) == "12.5"


def test_link_escapes_its_text_and_encodes_what_would_end_the_address():
    made = link("Store ] ) [x](y)", "https://www.aliexpress.com/store/1?a=b c)(<>\"")
    assert made == ("[Store \\] ) \\[x\\](y)](https://www.aliexpress.com/store/1"
                    "?a=b%20c%29%28%3C%3E%22)")


def test_host_allowed_only_for_the_hosts_and_their_subdomains():
    assert host_allowed("https://de.aliexpress.com/item/1.html", ("aliexpress.com",))
    assert not host_allowed("https://aliexpress.com.evil.example/", ("aliexpress.com",))
    assert not host_allowed("ftp://aliexpress.com/", ("aliexpress.com",))
    assert not host_allowed("https://[::1", ("aliexpress.com",))
