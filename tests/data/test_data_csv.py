"""tn.data.csv against hand-written expectations: headers, delimiters, quoting, column
configs (dtype, default, labels in both spellings), missing values and bad rows."""
import numpy as np
import pytest

from treino import data as td


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_header_numbers_and_text(tmp_path):
    p = write(tmp_path, "a,b,name\n1,2.5,x\n-3,1e3,hello world\n")
    ds = td.csv(p)
    assert ds.size is None and ds.column_names() == ["a", "b", "name"]
    assert list(ds) == [{"a": 1.0, "b": 2.5, "name": "x"},
                        {"a": -3.0, "b": 1000.0, "name": "hello world"}]
    assert list(ds) == list(td.csv(str(p))) == list(td.csv("file://" + str(p)))


def test_quoted_fields_keep_delimiters_quotes_and_newlines(tmp_path):
    p = write(tmp_path, 'id,text\n1,"a, b"\n2,"say ""hi"""\n3,"two\nlines"\n4,"7"\n')
    rows = list(td.csv(p))
    assert [r["text"] for r in rows] == ["a, b", 'say "hi"', "two\nlines", 7.0]


def test_other_delimiters_and_no_header(tmp_path):
    p = write(tmp_path, "1;2\n3;4\n")
    ds = td.csv(p, has_header=False, delimiter=";", column_names=["x", "y"])
    assert list(ds) == [{"x": 1.0, "y": 2.0}, {"x": 3.0, "y": 4.0}]
    w = write(tmp_path, "x y\n1   2\n3 4\n", "ws.csv")
    assert list(td.csv(w, delim_whitespace=True)) == [{"x": 1.0, "y": 2.0},
                                                      {"x": 3.0, "y": 4.0}]
    with pytest.raises(ValueError, match="column_names"):
        td.csv(p, has_header=False)
    with pytest.raises(ValueError, match="delimiter"):
        td.csv(p, delimiter="::")


def test_column_names_override_the_header(tmp_path):
    p = write(tmp_path, "a,b\n1,2\n")
    assert list(td.csv(p, column_names=["u", "v"])) == [{"u": 1.0, "v": 2.0}]
    with pytest.raises(ValueError, match="has 3 names but the header line"):
        td.csv(p, column_names=["u", "v", "w"])
    dup = write(tmp_path, "a,a\n1,2\n", "dup.csv")
    with pytest.raises(ValueError, match="duplicate"):
        td.csv(dup)


@pytest.mark.parametrize("label_key", ["is_label", "isLabel"])
def test_labels_make_xs_ys_and_batch_into_tensors(tmp_path, label_key):
    p = write(tmp_path, "f1,f2,flag,label\n1,2,true,0\n3,4,0,1\n5,6,TRUE,2\n")
    ds = td.csv(p, column_configs={"label": {label_key: True, "dtype": "int32"},
                                   "flag": {"dtype": "bool"}})
    first = next(iter(ds))
    assert first == {"xs": {"f1": 1.0, "f2": 2.0, "flag": True}, "ys": {"label": 0}}
    (b,) = list(ds.batch(3))
    assert b["xs"]["f1"].dtype == "float32" and b["xs"]["flag"].dtype == "bool"
    assert b["ys"]["label"].dtype == "int32"
    np.testing.assert_array_equal(b["xs"]["f2"].numpy(), [2, 4, 6])
    np.testing.assert_array_equal(b["xs"]["flag"].numpy(), [True, False, True])
    np.testing.assert_array_equal(b["ys"]["label"].numpy(), [0, 1, 2])


def test_dtype_conversion(tmp_path):
    p = write(tmp_path, "i,f,s\n2.7,3,007\n-1.5,4,x\n")
    ds = td.csv(p, column_configs={"i": {"dtype": "int32"}, "f": {"dtype": "float32"},
                                   "s": {"dtype": "string"}})
    rows = list(ds)
    assert [r["i"] for r in rows] == [2, -2]  # floor, as TF.js
    assert isinstance(rows[0]["i"], np.int32) and rows[0]["f"] == 3.0
    assert [r["s"] for r in rows] == ["007", "x"]  # kept as text, not parsed


def test_missing_values_use_the_default_or_name_line_and_column(tmp_path):
    p = write(tmp_path, "a,b,c\n1,2,3\n4,,6\n7,8, \n")
    ds = td.csv(p, column_configs={"b": {"default": -1}, "c": {"default": 0,
                                                              "dtype": "int32"}})
    assert [(r["b"], r["c"]) for r in ds] == [(2.0, 3), (-1, 6), (8.0, 0)]
    with pytest.raises(ValueError, match=r"line 3 .*column 'b' is empty"):
        list(td.csv(p))
    with pytest.raises(ValueError, match=r"line 4 .*column 'c' is empty"):
        list(td.csv(p, column_configs={"b": {"default": 0}}))


def test_bad_rows_and_values_name_the_line(tmp_path):
    p = write(tmp_path, "a,b\n1,2\n3\n")
    with pytest.raises(ValueError, match=r"line 3 .*1 fields but there are 2 columns"):
        list(td.csv(p))
    q = write(tmp_path, "a,b\n1,2\n3,x\n", "q.csv")
    with pytest.raises(ValueError, match=r"line 3 .*column 'b' has dtype 'float32' but "
                                         r"holds 'x'"):
        list(td.csv(q, column_configs={"b": {"dtype": "float32"}}))
    with pytest.raises(ValueError, match="dtype 'bool'"):
        list(td.csv(q, column_configs={"b": {"dtype": "bool"}}))


def test_bad_configs_fail_when_the_dataset_is_made(tmp_path):
    p = write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(ValueError, match="'zz', which is not one of the columns"):
        td.csv(p, column_configs={"zz": {"dtype": "int32"}})
    with pytest.raises(ValueError, match="unknown key 'islabel'"):
        td.csv(p, column_configs={"a": {"islabel": True}})
    with pytest.raises(ValueError, match="dtype"):
        td.csv(p, column_configs={"a": {"dtype": "float64"}})
    with pytest.raises(TypeError, match="column_configs"):
        td.csv(p, column_configs=[("a", {})])
    with pytest.raises(FileNotFoundError):
        td.csv(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="empty"):
        td.csv(write(tmp_path, "", "empty.csv"))


def test_configured_columns_only_and_blank_lines(tmp_path):
    p = write(tmp_path, "a,b,c\n1,2,3\n\n4,5,6\n")
    ds = td.csv(p, column_configs={"c": {"is_label": True}, "a": {}},
                configured_columns_only=True)
    assert ds.column_names() == ["a", "c"]
    assert list(ds) == [{"xs": {"a": 1.0}, "ys": {"c": 3.0}},
                        {"xs": {"a": 4.0}, "ys": {"c": 6.0}}]


def test_file_is_streamed_and_closed_on_early_stop(tmp_path):
    p = write(tmp_path, "a\n" + "".join(f"{i}\n" for i in range(1000)))
    it = iter(td.csv(p))
    assert next(it) == {"a": 0.0}
    it.close()  # the pass's file handle closes with the generator
    assert list(td.csv(p).skip(998)) == [{"a": 998.0}, {"a": 999.0}]
