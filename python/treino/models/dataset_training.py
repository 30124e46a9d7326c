"""fit_dataset / evaluate_dataset: training and evaluation fed by a tn.data Dataset
(TF.js's fitDataset / evaluateDataset), through the same epoch skeleton, hooks and
History as fit. Elements are {'xs': x, 'ys': y} dicts (TF.js) or (x, y) and
(x, y, sample_weight) tuples (Keras) of batches."""
import itertools
import math
import warnings

import numpy as np

from .._config import camel_hint, user_stacklevel
from ..callbacks.base import _to_callbacks
from ..core.tensor import Tensor
from ..data import Dataset
from ..distributed.state import collective_call
from .data_checks import check_class_weight, check_initial_epoch, positive_int
from .fit_loop import check_verbose, check_yield_every
from .standardize import check_counts, input_arrays, target_arrays, weight_arrays


_FORMS = "{'xs': x, 'ys': y} dicts or (x, y) or (x, y, sample_weight) tuples"


def _split_element(el, fn, index, model):
    """(x, y, sample_weight or None) of one dataset element."""
    w = None
    if isinstance(el, dict):
        if "xs" not in el or "ys" not in el:
            raise ValueError(f"{fn}: dataset elements must be {_FORMS}; element {index} is a "
                             f"dict with keys {sorted(el)}")
        extra = sorted(set(el) - {"xs", "ys"})
        if extra:
            # TF.js ignores other keys; refused here so that weights are never dropped.
            raise ValueError(f"{fn}: element {index} has keys {extra} besides 'xs' and 'ys'; "
                             f"give sample weights as (x, y, sample_weight) tuples")
        x, y = el["xs"], el["ys"]
    elif isinstance(el, (tuple, list)) and len(el) in (2, 3):
        x, y = el[0], el[1]
        w = el[2] if len(el) == 3 else None
    else:
        raise ValueError(f"{fn}: dataset elements must be {_FORMS}; element {index} is a "
                         f"{type(el).__name__}")
    for name, v, known in (("xs", x, model.input_names), ("ys", y, model.output_names)):
        if isinstance(v, dict) and not set(v) <= set(known):
            raise ValueError(f"{fn}: element {index}: '{name}' is a dict with keys "
                             f"{sorted(v)}, which are not the model's {name[0]} names "
                             f"{known}; a dict of columns (from tn.data.csv) must be mapped "
                             f"to tensors first, e.g. .map(lambda e: {{'xs': "
                             f"list(e['xs'].values()), ...}})")
    return x, y, w


class DatasetTraining:
    """Mixed into Model."""

    def _dataset_batch(self, el, fn, index, class_weight=None):
        """One element as a flat batch of Tensors (inputs, labels and sample weights per
        output, see fit_loop.py): the element's own weights (a third tuple item, as Keras
        reads tf.data) times the class weights, checked as fit checks sample_weight."""
        x, y, w = _split_element(el, fn, index, self)
        xs = input_arrays(self, x, fn, f"xs of batch {index}")
        ys = target_arrays(self, self._compiled, y, fn, f"ys of batch {index}")
        n = check_counts(xs, ys, fn)
        ws = weight_arrays(self._compiled, w, class_weight, ys, n, fn,
                           f"sample_weight of batch {index}")
        return tuple(Tensor(a) for a in xs + ys) + tuple(
            None if a is None else Tensor(a) for a in ws)

    @collective_call
    @camel_hint
    def fit_dataset(self, dataset, epochs=1, batches_per_epoch=None, callbacks=None,
                    validation_data=None, validation_batches=None, verbose=1,
                    class_weight=None, initial_epoch=0, validation_batch_size=None,
                    yield_every="auto"):
        """Trains on the batches of `dataset` (each a full pass per epoch, or
        batches_per_epoch batches from one pass kept open across epochs, which suits
        endless datasets); returns the History. An (x, y, sample_weight) element weights
        its samples, times class_weight when both are given. Data-parallel, each process
        trains on its own dataset (e.g. dataset.shard(size, rank)) and a step's gradient
        is its global batch's (docs/distributed.md).

        TF.js's ModelFitDatasetArgs, snake_case. validation_data is a Dataset (its first
        validation_batches batches, or all of them) or arrays (x_val, y_val) or
        (x_val, y_val, sample_weight_val), evaluated in batches of validation_batch_size
        (32 when None); as in TF.js, validation_batches applies to a Dataset only and
        validation_batch_size to arrays only. yield_every ('auto', 'batch', 'epoch',
        'never' or milliseconds) only paces a callbacks dict's on_yield, as in fit."""
        fn = "fit_dataset"
        self._check_compiled(fn)
        if not isinstance(dataset, Dataset):
            raise TypeError(f"{fn}: argument 'dataset' must be a tn.data Dataset, received "
                            f"{type(dataset).__name__} (use model.fit for arrays)")
        epochs = positive_int(epochs, fn, "epochs")
        batches_per_epoch = positive_int(batches_per_epoch, fn, "batches_per_epoch", allow_none=True)
        validation_batches = positive_int(validation_batches, fn, "validation_batches", allow_none=True)
        validation_batch_size = positive_int(32 if validation_batch_size is None else
                                             validation_batch_size, fn, "validation_batch_size")
        verbose = check_verbose(verbose, fn)
        callbacks = _to_callbacks(callbacks, check_yield_every(yield_every, fn))
        initial_epoch = check_initial_epoch(initial_epoch, epochs, fn)
        if class_weight is not None and len(self.outputs) == 1 and isinstance(class_weight, dict):
            class_weight = check_class_weight(class_weight, fn)
        if batches_per_epoch is None and dataset.size is None and _endless(dataset):
            raise ValueError(f"{fn}: the dataset is endless; give batches_per_epoch")
        validate = None
        if validation_data is not None:
            if isinstance(validation_data, Dataset):
                validate = lambda: self._evaluate_dataset_values(  # noqa: E731
                    validation_data, validation_batches, fn)
            elif isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3):
                vxs = input_arrays(self, validation_data[0], fn, "validation_data[0]")
                vys = target_arrays(self, self._compiled, validation_data[1], fn,
                                    "validation_data[1]")
                vn = check_counts(vxs, vys, fn)
                vws = weight_arrays(self._compiled, validation_data[2] if len(validation_data)
                                    == 3 else None, None, vys, vn, fn, "validation_data[2]")
                arrays = vxs + vys + vws
                validate = lambda: self._evaluate_arrays(  # noqa: E731
                    arrays, validation_batch_size)
            else:
                raise ValueError(f"{fn}: argument 'validation_data' must be a Dataset, "
                                 f"(x_val, y_val) or (x_val, y_val, sample_weight_val)")
        state = {"it": None, "index": 0}

        def epoch_batches(epoch):
            if batches_per_epoch is None:
                start = state["index"]
                for el in dataset:
                    yield self._dataset_batch(el, fn, state["index"], class_weight)
                    state["index"] += 1
                if state["index"] == start:  # an empty pass: stop rather than log zeros
                    if epoch == initial_epoch:
                        raise ValueError(f"{fn}: the dataset yielded no batches")
                    warnings.warn(f"{fn}: the dataset yielded no batches in epoch {epoch + 1} "
                                  f"(a tn.data.generator function must return a fresh "
                                  f"iterator for every pass); training stops here",
                                  stacklevel=user_stacklevel())
                return
            if state["it"] is None:
                state["it"] = iter(dataset)
            for _ in range(batches_per_epoch):
                try:
                    el = next(state["it"])
                except StopIteration:
                    warnings.warn(f"{fn}: the dataset ran out of data after "
                                  f"{state['index']} batches, before batches_per_epoch * "
                                  f"epochs; training stops here", stacklevel=user_stacklevel())
                    self.stop_training = True
                    return
                yield self._dataset_batch(el, fn, state["index"], class_weight)
                state["index"] += 1

        params = {"steps": batches_per_epoch or dataset.size, "samples": None}
        try:
            return self._train_loop(epoch_batches, epochs, initial_epoch, callbacks, verbose,
                                    params, validate, fn=fn)
        finally:
            if state["it"] is not None and hasattr(state["it"], "close"):
                state["it"].close()

    def _evaluate_dataset_values(self, dataset, batches, fn):
        elements = itertools.islice(dataset, batches)
        vals = self._evaluate_batches(self._dataset_batch(el, fn, b) for b, el in enumerate(elements))
        if vals is None:
            raise ValueError(f"{fn}: the dataset yielded no batches")
        return vals

    @collective_call
    @camel_hint
    def evaluate_dataset(self, dataset, batches=None, verbose=0):
        """The loss Tensor, or [loss, metric...], averaged over the samples of the
        dataset's batches (all of them, or the first `batches`); data-parallel, over
        every process's dataset. verbose (0, 1 or 2) is checked and prints nothing (TF.js's
        evaluateDataset has no verbose mode either)."""
        fn = "evaluate_dataset"
        self._check_compiled(fn)
        if not isinstance(dataset, Dataset):
            raise TypeError(f"{fn}: argument 'dataset' must be a tn.data Dataset, received "
                            f"{type(dataset).__name__}")
        batches = positive_int(batches, fn, "batches", allow_none=True)
        check_verbose(verbose, fn)
        vals = [Tensor(np.asarray(v, np.float32))
                for v in self._evaluate_dataset_values(dataset, batches, fn)]
        return vals[0] if len(vals) == 1 else vals


def _endless(dataset):
    return getattr(dataset, "_size", None) == math.inf
