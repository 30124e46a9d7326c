"""tn.data: streaming datasets with TF.js's tf.data API.

    ds = tn.data.zip({'xs': tn.data.generator(features), 'ys': tn.data.generator(labels)})
    ds = ds.shuffle(100).batch(32).prefetch(2)

Names load on first access (fit needs only Dataset; the csv reader and the sources wait).
"""
from .. import _attach

_LAZY = {
    "Dataset": ".dataset", "DatasetIterator": ".dataset",
    "CSVDataset": ".csv_dataset", "csv": ".csv_dataset",
    **{n: ".sources" for n in ("ArrayDataset", "FuncDataset", "GeneratorDataset", "ListDataset",
                               "ZipDataset", "array", "func", "generator", "zip")},
    **{m: "." + m for m in ("batching", "csv_dataset", "dataset", "prefetch", "sources")},
}
__getattr__, __dir__ = _attach(globals(), _LAZY)

__all__ = ["Dataset", "DatasetIterator", "array", "csv", "func", "generator", "zip"]
