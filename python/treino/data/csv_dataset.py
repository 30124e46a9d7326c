"""tn.data.csv: a CSV file streamed row by row, as TF.js's tf.data.csv.

Each element is a dict {column: value}; when some column is configured as a label, it is
{'xs': {feature columns}, 'ys': {label columns}}, the form fit_dataset takes. Values are
numbers when they parse as numbers and strings otherwise, unless the column's config sets
a dtype. The file is read lazily, one pass per iteration; only the header is read when
the dataset is created, so that bad configs fail early.
"""
import contextlib
import csv as _csv
import math
import os
import re

import numpy as np

from .dataset import Dataset

_CONFIG_KEYS = {"required": "required", "dtype": "dtype", "default": "default",
                "is_label": "is_label", "isLabel": "is_label"}
_DTYPES = ("float32", "int32", "bool", "string")
_INT32 = np.iinfo(np.int32)


class CSVDataset(Dataset):
    def __init__(self, path, column_configs, has_header, delimiter, column_names,
                 configured_columns_only, delim_whitespace):
        if isinstance(path, str) and path.startswith("file://"):
            path = path[len("file://"):]
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"data.csv: argument 'path' must be a file path, received "
                            f"{type(path).__name__}")
        self._path = os.fspath(path)
        if delim_whitespace:
            if delimiter not in (",", " "):
                raise ValueError("data.csv: give either 'delimiter' or "
                                 "'delim_whitespace=True', not both")
            delimiter = " "
        if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n':
            raise ValueError(f"data.csv: argument 'delimiter' must be a single character "
                             f"other than a quote or newline, received {delimiter!r}")
        self._reader_args = {"delimiter": delimiter, "quotechar": '"',
                             "skipinitialspace": bool(delim_whitespace)}
        self._has_header = bool(has_header)
        self._names = self._resolve_names(column_names)
        self._configs = self._check_configs(column_configs)
        self._only_configured = bool(configured_columns_only)
        if self._only_configured and not self._configs:
            raise ValueError("data.csv: 'configured_columns_only=True' needs "
                             "'column_configs' naming the columns to keep")
        self._plan = [self._column_plan(i, n) for i, n in enumerate(self._names)]
        self._has_labels = any(p[2] for p in self._plan if p is not None)

    # -- columns -----------------------------------------------------------------------
    def _resolve_names(self, column_names):
        header = None
        if self._has_header:
            with self._reader() as (reader, lines):
                header = _next_row(reader, lines, self._path)
            if header is None:
                raise ValueError(f"data.csv: {self._path} is empty, so it has no header line")
        if column_names is None:
            if header is None:
                raise ValueError("data.csv: argument 'column_names' is required when "
                                 "'has_header' is False")
            names = header
        else:
            if isinstance(column_names, str) or not all(isinstance(n, str)
                                                        for n in column_names):
                raise TypeError(f"data.csv: argument 'column_names' must be a list of "
                                f"strings, received {column_names!r}")
            names = list(column_names)
            if header is not None and len(header) != len(names):
                raise ValueError(f"data.csv: argument 'column_names' has {len(names)} names "
                                 f"but the header line of {self._path} has {len(header)} "
                                 f"columns")
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"data.csv: duplicate column names {dup} in {self._path}")
        return names

    def _check_configs(self, configs):
        if configs is None:
            return {}
        if not isinstance(configs, dict):
            raise TypeError(f"data.csv: argument 'column_configs' must be a dict "
                            f"{{column: config}}, received {type(configs).__name__}")
        out = {}
        for name, cfg in configs.items():
            if name not in self._names:
                raise ValueError(f"data.csv: column_configs names column {name!r}, which is "
                                 f"not one of the columns {self._names}")
            if not isinstance(cfg, dict):
                raise TypeError(f"data.csv: column_configs[{name!r}] must be a dict, "
                                f"received {type(cfg).__name__}")
            norm = {}
            for key, value in cfg.items():
                if key not in _CONFIG_KEYS:
                    raise ValueError(f"data.csv: column_configs[{name!r}] has unknown key "
                                     f"{key!r}; expected one of {sorted(_CONFIG_KEYS)}")
                norm[_CONFIG_KEYS[key]] = value
            if norm.get("dtype") is not None and norm["dtype"] not in _DTYPES:
                raise ValueError(f"data.csv: column_configs[{name!r}]['dtype'] must be one "
                                 f"of {list(_DTYPES)}, received {norm['dtype']!r}")
            out[name] = norm
        return out

    def _column_plan(self, index, name):
        """(name, index, is_label, dtype, has_default, default) or None for a dropped
        column."""
        cfg = self._configs.get(name)
        if cfg is None and self._only_configured:
            return None
        cfg = cfg or {}
        dtype = cfg.get("dtype")
        has_default = "default" in cfg and cfg["default"] is not None
        default = _convert_default(cfg.get("default"), dtype, name) if has_default else None
        return (name, index, bool(cfg.get("is_label")), dtype, has_default, default)

    def column_names(self):
        """The column names of the elements (only the configured ones with
        configured_columns_only), as TF.js's columnNames()."""
        return [p[0] for p in self._plan if p is not None]

    columnNames = column_names

    # -- rows --------------------------------------------------------------------------
    def _open(self):
        return self._rows()

    @contextlib.contextmanager
    def _reader(self):
        """(csv reader, _Lines) over the file, closed on exit."""
        # utf-8-sig: a byte-order mark is not part of the first column's name (TF.js's
        # TextDecoder drops it too). Bad bytes are escaped so _Lines can name their line.
        with open(self._path, newline="", encoding="utf-8-sig",
                  errors="surrogateescape") as f:
            lines = _Lines(f, self._path)
            yield _csv.reader(lines, **self._reader_args), lines

    def _rows(self):
        plan = [p for p in self._plan if p is not None]
        ncols = len(self._names)
        with self._reader() as (reader, lines):
            if self._has_header:
                _next_row(reader, lines, self._path)
            while True:
                row = _next_row(reader, lines, self._path)
                if row is None:
                    return
                if not row or (len(row) == 1 and not row[0].strip() and ncols > 1):
                    continue  # blank line
                line = reader.line_num
                if len(row) != ncols:
                    raise ValueError(f"data.csv: line {line} of {self._path} has {len(row)} "
                                     f"fields but there are {ncols} columns {self._names}")
                xs, ys = {}, {}
                for name, i, is_label, dtype, has_default, default in plan:
                    text = row[i]
                    if not text.strip():
                        if not has_default:
                            raise ValueError(
                                f"data.csv: line {line} of {self._path}: column {name!r} is "
                                f"empty and has no default; give one with "
                                f"column_configs={{{name!r}: {{'default': ...}}}}")
                        value = default
                    else:
                        value = _parse(text, dtype, name, line, self._path)
                    (ys if is_label else xs)[name] = value
                yield {"xs": xs, "ys": ys} if self._has_labels else xs


class _Lines:
    """The file's lines for csv.reader, counted, each checked to be valid UTF-8."""

    def __init__(self, f, path):
        self._f, self._path, self.count = f, path, 0

    def __iter__(self):
        return self

    def __next__(self):
        line = next(self._f)
        self.count += 1
        if not line.isascii():
            bad = _UNDECODABLE.search(line)
            if bad:
                raise ValueError(f"data.csv: line {self.count} of {self._path} is not valid "
                                 f"UTF-8 (byte 0x{ord(bad.group()) - 0xDC00:02x} at character "
                                 f"{bad.start() + 1}); the file must be UTF-8 text")
        return line


# What errors="surrogateescape" turns an undecodable byte into (valid UTF-8 never
# decodes to a lone surrogate).
_UNDECODABLE = re.compile("[\udc80-\udcff]")


def _next_row(reader, lines, path):
    """The next row, or None at the end; the csv module's errors as ValueErrors naming the
    line."""
    start = reader.line_num + 1
    try:
        return next(reader, None)
    except _csv.Error as e:
        where = f"line {lines.count}"
        if lines.count != start:  # a quoted field spans lines (maybe to the end of the file)
            where += f" (in the row that starts on line {start})"
        hint = ""
        if "field limit" in str(e):
            hint = (f"; a quoted field may lack its closing quote, or call "
                    f"csv.field_size_limit(n) to allow fields longer than "
                    f"{_csv.field_size_limit()} characters")
        raise ValueError(f"data.csv: {where} of {path}: {e}{hint}") from None


def _parse(text, dtype, name, line, path):
    if dtype == "string":
        return text
    if dtype == "bool":
        low = text.strip().lower()
        if low in ("1", "true"):
            return True
        if low in ("0", "false"):
            return False
        raise ValueError(f"data.csv: line {line} of {path}: column {name!r} has dtype 'bool' "
                         f"but holds {text!r}; expected true, false, 1 or 0")
    try:
        number = float(text)
    except ValueError:
        if dtype is None:
            return text  # a text column, as TF.js
        raise ValueError(f"data.csv: line {line} of {path}: column {name!r} has dtype "
                         f"{dtype!r} but holds {text!r}, which is not a number") from None
    if dtype == "int32":
        return _to_int32(number, f"data.csv: line {line} of {path}: column {name!r}")
    return number


def _to_int32(number, where):
    if not math.isfinite(number) or not _INT32.min <= math.floor(number) <= _INT32.max:
        raise ValueError(f"{where} holds {number!r}, outside the int32 range")
    # numpy int32 (not int) so that batch() stacks the column into an int32 tensor
    return np.int32(math.floor(number))


def _convert_default(value, dtype, name):
    where = f"data.csv: column_configs[{name!r}]['default']"
    if dtype == "int32":
        if not isinstance(value, (int, float, np.integer, np.floating)) or \
                isinstance(value, bool):
            raise TypeError(f"{where} must be a number for dtype 'int32', received {value!r}")
        return _to_int32(float(value), where)
    if dtype == "float32":
        if not isinstance(value, (int, float, np.integer, np.floating)) or \
                isinstance(value, bool):
            raise TypeError(f"{where} must be a number for dtype 'float32', received "
                            f"{value!r}")
        return float(value)
    if dtype == "bool":
        return bool(value)
    return value


def csv(path, column_configs=None, has_header=True, delimiter=",", column_names=None,
        configured_columns_only=False, delim_whitespace=False):
    """tn.data.csv(path, column_configs=None, ...): the rows of a CSV file as a dataset.

    column_configs maps a column name to a dict with any of 'dtype' ('float32', 'int32',
    'bool' or 'string'), 'default' (used for an empty field), 'required' and 'is_label' /
    'isLabel'. An empty field without a default raises an error naming the line and the
    column. Quoted fields may hold the delimiter, doubled quotes and newlines. The file is
    UTF-8 text (a leading byte-order mark is dropped); invalid bytes and fields longer than
    csv.field_size_limit() raise ValueError naming the file and the line."""
    return CSVDataset(path, column_configs, has_header, delimiter, column_names,
                      configured_columns_only, delim_whitespace)
