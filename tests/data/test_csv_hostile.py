"""tn.data.csv on hostile bytes: invalid UTF-8 and overlong fields are ValueErrors that
name the file and the line (never a bare UnicodeDecodeError or _csv.Error), while valid
non-ASCII text and a byte-order mark read as text."""
import csv
import re

import numpy as np
import pytest

import treino as tn
from treino import data as td


def write_bytes(tmp_path, data, name="data.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _where(path, line):
    return rf"data.csv: line {line} of {re.escape(str(path))}"


@pytest.mark.parametrize("bad,byte", [(b"\xff", "ff"), (b"\xc3(", "c3"), (b"\xed\xa0\x80", "ed"),
                                      (b"\xc0\xaf", "c0")])
def test_invalid_utf8_in_a_row_names_the_file_line_and_byte(tmp_path, bad, byte):
    # \xed\xa0\x80 encodes a surrogate, \xc0\xaf is an overlong '/': both invalid UTF-8.
    p = write_bytes(tmp_path, b"a,b\n1,2\n3,x" + bad + b"y\n5,6\n")
    ds = td.csv(p)
    it = iter(ds)
    assert next(it) == {"a": 1.0, "b": 2.0}
    with pytest.raises(ValueError, match=_where(p, 3) + rf" is not valid UTF-8 \(byte 0x{byte} "
                                         r"at character 4\)"):
        next(it)
    with pytest.raises(ValueError, match=_where(p, 3)):  # and again on a new pass
        list(ds)


def test_invalid_utf8_in_the_header_fails_when_the_dataset_is_made(tmp_path):
    p = write_bytes(tmp_path, b"a,\xfeb\n1,2\n")
    with pytest.raises(ValueError, match=_where(p, 1) + " is not valid UTF-8"):
        td.csv(p)


def test_line_numbers_stay_exact_far_into_the_file(tmp_path):
    # Far beyond the text reader's first chunk; a multi-byte character cut at the end.
    p = write_bytes(tmp_path, b"a,b\n" + b"1,\xc3\xa9\n" * 5000 + b"2,\xe2\x82")
    with pytest.raises(ValueError, match=_where(p, 5002) + r" is not valid UTF-8 \(byte 0xe2"):
        list(td.csv(p))


def test_valid_non_ascii_and_a_byte_order_mark_read_as_text(tmp_path):
    text = "név,b\n1,café ☕\n2,\U0001F600\n"
    p = write_bytes(tmp_path, b"\xef\xbb\xbf" + text.encode("utf-8"))
    ds = td.csv(p)
    assert ds.column_names() == ["név", "b"]  # the BOM is not part of the first name
    assert list(ds) == [{"név": 1.0, "b": "café ☕"}, {"név": 2.0, "b": "\U0001F600"}]
    q = write_bytes(tmp_path, b"\xef\xbb\xbf1,2\n", "nohdr.csv")
    assert list(td.csv(q, has_header=False, column_names=["x", "y"])) == [{"x": 1.0, "y": 2.0}]


def test_an_overlong_field_names_the_file_and_line(tmp_path):
    limit = csv.field_size_limit()
    p = write_bytes(tmp_path, b"a,b\n1,2\n3," + b"x" * (limit + 1) + b"\n")
    with pytest.raises(ValueError, match=_where(p, 3) + rf": field larger than field limit "
                                         rf"\({limit}\).*csv.field_size_limit"):
        list(td.csv(p))
    ok = write_bytes(tmp_path, b"a,b\n3," + b"x" * (limit - 1) + b"\n", "ok.csv")
    assert len(list(td.csv(ok))[0]["b"]) == limit - 1
    hdr = write_bytes(tmp_path, b"a," + b"x" * (limit + 1) + b"\n", "hdr.csv")
    with pytest.raises(ValueError, match=_where(hdr, 1) + ": field larger"):
        td.csv(hdr)


def test_an_unclosed_quote_names_where_its_row_starts(tmp_path):
    limit = csv.field_size_limit()
    lines = limit // 2 + 10
    p = write_bytes(tmp_path, b"a,b\n1,2\n3,\"open\n" + b"x\n" * lines)
    with pytest.raises(ValueError, match=r"data.csv: line \d+ \(in the row that starts on line "
                                         r"3\) of .*field limit.*closing quote"):
        list(td.csv(p))


def test_fit_dataset_on_bad_bytes_changes_nothing(tmp_path):
    p = write_bytes(tmp_path, b"a,b,y\n1,2,0\n3,4,1\n5,\x80,1\n")
    model = tn.sequential([tn.layers.dense(units=1, input_shape=[2], activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binaryCrossentropy")
    before = [w.numpy() for w in model.get_weights()]
    ds = td.csv(p, column_configs={"y": {"is_label": True}}).map(
        lambda e: {"xs": list(e["xs"].values()), "ys": list(e["ys"].values())}).batch(4)
    with pytest.raises(ValueError, match=_where(p, 4) + " is not valid UTF-8"):
        model.fit_dataset(ds, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
