"""Every placeholder style becomes $n; literals, comments, casts and jsonb operators survive."""

from __future__ import annotations

import pytest

from audit_lib.sql.normalize import HOLE, normalize, place_holes


@pytest.mark.parametrize(
    ("written", "normalized"),
    [
        ("SELECT * FROM t WHERE a = %s AND b = %s", "SELECT * FROM t WHERE a = $1 AND b = $2"),
        ("SELECT * FROM t WHERE a = %(a)s OR b = %(b)s OR c = %(a)s", "SELECT * FROM t WHERE a = $1 OR b = $2 OR c = $1"),
        ("SELECT * FROM t WHERE name LIKE 'x%%' AND a = %s", "SELECT * FROM t WHERE name LIKE 'x%' AND a = $1"),
        ("SELECT * FROM t WHERE a = :a AND b = :b AND c = :a", "SELECT * FROM t WHERE a = $1 AND b = $2 AND c = $1"),
        ("SELECT a::int, b::text[] FROM t WHERE c = :c::uuid", "SELECT a::int, b::text[] FROM t WHERE c = $1::uuid"),
        ("SELECT * FROM t WHERE at = '10:30' AND k = :k", "SELECT * FROM t WHERE at = '10:30' AND k = $1"),
        ("SELECT * FROM t WHERE a = ? AND b IN (?, ?) LIMIT ?", "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3) LIMIT $4"),
        ("SELECT * FROM t WHERE doc ? 'key' AND a = %s", "SELECT * FROM t WHERE doc ? 'key' AND a = $1"),
        ("SELECT * FROM t WHERE doc ?| array['a'] AND doc ? 'b'", "SELECT * FROM t WHERE doc ?| array['a'] AND doc ? 'b'"),
        ("SELECT * FROM t WHERE a = $1 AND b = $2", "SELECT * FROM t WHERE a = $1 AND b = $2"),
        ("SELECT $$ :x ? %s $$, 'it''s :y' -- :z\n, \"a:b\" FROM t WHERE c = :c", "SELECT $$ :x ? %s $$, 'it''s :y' -- :z\n, \"a:b\" FROM t WHERE c = $1"),
        ("SELECT * FROM t WHERE a = :a /* :b */", "SELECT * FROM t WHERE a = $1 /* :b */"),
        ("DO $body$ BEGIN x := 1; END $body$", "DO $body$ BEGIN x := 1; END $body$"),
        ("SELECT arr[1:n] FROM t", "SELECT arr[1:n] FROM t"),
        ("SELECT 7 % 3", "SELECT 7 % 3"),
        (f"SELECT * FROM t WHERE a = {HOLE} AND b = %s", "SELECT * FROM t WHERE a = $1 AND b = $2"),
        ("SELECT * FROM t WHERE a = $2 AND b = %s", "SELECT * FROM t WHERE a = $2 AND b = $3"),
        ("SELECT E'\\':x' , :y", "SELECT E'\\':x' , $1"),
    ],
)
def test_placeholders_become_numbered(written, normalized):
    assert normalize(written) == normalized


@pytest.mark.parametrize(
    ("text", "dynamic"),
    [
        (f"SELECT * FROM t WHERE a = {HOLE}", None),
        (f"SELECT * FROM t WHERE a IN ({HOLE}) OR b = ANY({HOLE})", None),
        (f"SELECT * FROM t LIMIT {HOLE} OFFSET {HOLE}", None),
        (f"INSERT INTO t (a, b) VALUES ({HOLE}, {HOLE})", None),
        (f"SELECT * FROM t WHERE name = '{HOLE}'", None),
        (f"SELECT * FROM {HOLE}", 0),
        (f"SELECT * FROM t WHERE a = {HOLE} ORDER BY {HOLE}", 1),
        (f"SELECT * FROM t WHERE {HOLE}", 0),
        (f"SELECT count({HOLE}) FROM t", 0),
        (f"INSERT INTO t ({HOLE}) VALUES ({HOLE})", 0),
        (f'SET search_path TO "{HOLE}"', 0),
        (f"SELECT * FROM t WHERE a = {HOLE} AND b = $${HOLE}$$", 1),
    ],
)
def test_spliced_values_and_names(text, dynamic):
    assert place_holes(text)[1] == dynamic


def test_values_keep_their_place_and_strings_stay_strings():
    text = f"SELECT * FROM t WHERE a = {HOLE} AND name LIKE '%{HOLE}%' -- {HOLE}\n LIMIT {HOLE}"
    assert place_holes(text) == (f"SELECT * FROM t WHERE a = {HOLE} AND name LIKE '%1%' -- 1\n LIMIT {HOLE}", None)
