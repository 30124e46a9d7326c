"""Lazy loading (PEP 562): `import treino` loads tensors, autodiff and the ops only; every
other public name loads on first access and behaves as if it had been imported eagerly.
Each test runs in a fresh interpreter, since this process has long imported everything."""
import json
import os
import subprocess
import sys
import textwrap

# Loaded on first use, never by `import treino`.
HEAVY = ["treino.models", "treino.models.training", "treino.models.saving", "treino.data",
         "treino.callbacks", "treino.layers", "treino.datasets", "treino.losses",
         "treino.metrics", "treino.train", "treino.initializers", "treino.core.random",
         "numpy.random"]

# The tn.* names /work/shared/API.md documents (and that exist: tn.model and tn.input
# are planned), each with its documented sub-names.
API = ["tensor", "scalar", "zeros", "ones", "fill", "zeros_like", "ones_like", "one_hot",
       "linspace", "range", "random_normal", "random_uniform", "truncated_normal", "set_seed",
       "variable", "Tensor", "Variable", "grad", "grads", "value_and_grad", "value_and_grads",
       "variable_grads", "custom_grad", "stop_gradient", "matmul", "tidy", "dispose", "keep",
       "memory", "sequential", "load_layers_model", "train.sgd", "train.adam", "losses.Reduction",
       "metrics", "layers.dense", "layers.Dense", "layers.dropout", "layers.CLASSES",
       "callbacks.Callback", "callbacks.early_stopping", "data.array", "data.csv",
       "data.generator", "data.zip", "data.Dataset", "datasets.digits", "vis.plot_history"]


def _run(code):
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_import_loads_only_the_core():
    out = _run(f"""
        import sys, json
        import treino as tn
        loaded = [m for m in {HEAVY!r} if m in sys.modules]
        # tensors, ops and gradients work without loading anything else
        x = tn.tensor([[1.0, 2.0], [3.0, 4.0]])
        y = (x @ x + 1).relu().sum()
        g = tn.grad(lambda t: (t * t).sum())(x)
        print(json.dumps([loaded, [m for m in {HEAVY!r} if m in sys.modules],
                          float(y.item()), g.numpy().tolist()]))
        """)
    at_import, after_ops, y, g = json.loads(out)
    assert at_import == [] and after_ops == []
    assert y == 7 + 10 + 15 + 22 + 4
    assert g == [[2.0, 4.0], [6.0, 8.0]]


def test_every_public_name_resolves():
    out = _run(f"""
        import json
        import treino as tn
        missing = [n for n in tn.__all__ if n not in dir(tn)]
        for n in tn.__all__:
            getattr(tn, n)
        unresolved = []
        for path in {API!r}:
            obj = tn
            try:
                for part in path.split("."):
                    obj = getattr(obj, part)
            except AttributeError:
                unresolved.append(path)
        for sub in (tn.data, tn.callbacks, tn.layers, tn.train):
            missing += [sub.__name__ + "." + n for n in sub.__all__ if n not in dir(sub)]
            for n in sub.__all__:
                getattr(sub, n)
        print(json.dumps([missing, unresolved, tn.__all__]))
        """)
    missing, unresolved, all_ = json.loads(out)
    assert missing == [] and unresolved == []
    assert {p.split(".")[0] for p in API} <= set(all_)


def test_all_lists_every_public_attribute():
    # After everything is loaded, a public attribute missing from __all__ would be one that
    # only an import side effect used to provide: add it to _LAZY in treino/__init__.py.
    out = _run("""
        import json, importlib, pkgutil
        import treino as tn
        for m in pkgutil.walk_packages(tn.__path__, "treino."):
            if m.name not in ("treino.demo", "treino.vis"):
                importlib.import_module(m.name)
        public = {n for n in vars(tn) if not n.startswith("_")}
        print(json.dumps(sorted(public - set(tn.__all__))))
        """)
    assert json.loads(out) == []


def test_from_imports_star_and_errors():
    out = _run("""
        from treino import Model, Sequential, sequential, load_layers_model, set_seed, layers
        from treino.data import Dataset, zip
        from treino.callbacks import EarlyStopping, History
        from treino.data import *  # noqa: F403
        from treino import *  # noqa: F403
        import treino as tn
        assert sequential is tn.sequential and Sequential is tn.models.Sequential
        assert issubclass(Sequential, Model) and layers.Dense is tn.layers.Dense
        assert zip is tn.data.sources.zip and History is tn.callbacks.base.History
        assert issubclass(tn.data.ArrayDataset, Dataset)
        assert tn.layers.CLASSES["Dense"] is tn.layers.core.Dense
        for mod, name in ((tn, "nope"), (tn.data, "nope"), (tn.callbacks, "Nope")):
            try:
                getattr(mod, name)
            except AttributeError as e:
                print(e)
        print(hasattr(tn, "nope"))
        """)
    assert out.splitlines() == ["module 'treino' has no attribute 'nope'",
                                "module 'treino.data' has no attribute 'nope'",
                                "module 'treino.callbacks' has no attribute 'Nope'", "False"]


def test_train_save_and_load_in_fresh_processes(tmp_path):
    # Layer classes, activations, initializers and optimizers are all looked up by name
    # when loading: the loading process touches nothing but tn.load_layers_model.
    _run(f"""
        import numpy as np
        import treino as tn
        tn.set_seed(0)
        x = np.random.default_rng(0).normal(size=(64, 6)).astype("float32")
        y = np.eye(3, dtype="float32")[np.arange(64) % 3]
        model = tn.sequential([
            tn.layers.dense(8, activation="relu", input_shape=[6],
                            kernel_initializer="heNormal", kernel_regularizer="l2"),
            tn.layers.dropout(0.1),
            tn.layers.batch_normalization(),
            tn.layers.dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="categoricalCrossentropy", metrics=["accuracy"])
        model.fit(x, y, epochs=2, batch_size=16, verbose=0,
                  callbacks=[tn.callbacks.early_stopping(monitor="loss")])
        model.save({str(tmp_path / "folder")!r})
        model.save({str(tmp_path / "m.treino")!r})
        np.save({str(tmp_path / "x.npy")!r}, x)
        np.save({str(tmp_path / "p.npy")!r}, model.predict(x).numpy())
        """)
    out = _run(f"""
        import numpy as np
        import treino as tn
        x = np.load({str(tmp_path / "x.npy")!r})
        want = np.load({str(tmp_path / "p.npy")!r})
        for path in ({str(tmp_path / "folder")!r}, {str(tmp_path / "m.treino")!r}):
            m = tn.load_layers_model(path)
            np.testing.assert_array_equal(m.predict(x).numpy(), want)
            m.fit(x, want, epochs=1, verbose=0)
        print("ok")
        """)
    assert out.strip() == "ok"
