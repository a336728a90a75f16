"""The SHA-256 the PDF's pages record, read back from text broken the way the editions break it."""

import hashlib

from builder.check.pdf_text import recorded_hashes

SHA = hashlib.sha256(b"a source").hexdigest()


def test_a_hash_broken_in_halves_is_read_whole_whatever_word_follows():
    for after in ("copy in this edition", "date of the build", "rights Not recorded"):
        text = f"sha-256 verified at build {SHA[:32]}\u200b\n{SHA[32:]}\n{after}\n"
        assert recorded_hashes(text) == {SHA}


def test_a_run_of_hex_longer_than_a_hash_is_not_a_hash():
    assert recorded_hashes(f"{SHA}f\n") == set()
    assert recorded_hashes(f"{SHA[:32]}\n{SHA[32:]}ab\n") == set()
