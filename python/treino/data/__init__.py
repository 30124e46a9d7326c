"""tn.data: streaming datasets with TF.js's tf.data API.

    ds = tn.data.zip({'xs': tn.data.generator(features), 'ys': tn.data.generator(labels)})
    ds = ds.shuffle(100).batch(32).prefetch(2)
"""
from .csv_dataset import CSVDataset, csv
from .dataset import Dataset, DatasetIterator
from .sources import (ArrayDataset, GeneratorDataset, ListDataset, ZipDataset, array,
                      generator, zip)  # noqa: A004 (tn.data.zip, as TF.js)

__all__ = ["Dataset", "DatasetIterator", "array", "csv", "generator", "zip"]
