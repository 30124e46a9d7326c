"""Results of ops that return several tensors under names in TF.js ({values, indices}).

A NamedTuple that is also readable by key: TF.js code ported as
`r = tn.topk(x); r['values']`, as attributes (`r.values`), or unpacked
(`values, indices = tn.topk(x)`) all work. Keys are snake_case; TF.js's camelCase key
is accepted too (r['outputIndices'] is r.output_indices)."""
import re
from collections import namedtuple


def result_type(name, fields):
    base = namedtuple(name, fields)

    def __getitem__(self, key):
        if isinstance(key, str):
            key = re.sub(r"([a-z])([A-Z])", r"\1_\2", key).lower()
            if key not in self._fields:
                raise KeyError(f"{name} has the entries {list(self._fields)}, not {key!r}")
            return getattr(self, key)
        return tuple.__getitem__(self, key)

    def keys(self):
        return list(self._fields)

    return type(name, (base,), {"__slots__": (), "__getitem__": __getitem__, "keys": keys})
