"""Small pieces of TF.js's model and layer surface that ported programs call: toJSON's
ignored first argument, a snake_case ModelJSON, getClassName, invokeCallHook, dispose."""
import json

import pytest

import treino as tn


def _model():
    return tn.sequential(layers=[tn.layers.dense(units=2, input_shape=[3], name="d")])


def test_to_json_takes_tfjs_arguments():
    m = _model()
    as_dict = m.to_json(None, False)  # TF.js: model.toJSON(null, false)
    assert isinstance(as_dict, dict) and as_dict == json.loads(m.to_json())
    assert m.to_json(False) == as_dict and m.to_json(return_string=False) == as_dict
    assert isinstance(m.to_json(None), str)
    with pytest.raises(TypeError, match=r"to_json: argument 'return_string' must be True or "
                                        r"False, received 'no'"):
        m.to_json(None, "no")
    back = tn.models.model_from_json({"model_topology": as_dict})  # {modelTopology} in snake
    assert back.get_config() == m.get_config()


def test_class_name_call_hook_and_dispose():
    m = _model()
    layer = m.get_layer("d")
    assert (layer.get_class_name(), m.get_class_name()) == ("Dense", "Sequential")
    assert layer.invoke_call_hook(tn.ones([1, 3]), {}) is None
    r = m.dispose()
    assert r.num_disposed_variables == 2 and r["refCountAfterDispose"] == 0
    assert all(w.val.is_disposed for w in m.weights)


def test_a_nested_model_takes_inputs_of_another_rank_its_layers_accept():
    """ACGAN's generator: a Sequential built for [5] applied to a [null, 1, 5] tensor. Only
    the outer model's inputs are checked (TF.js's checkInputData), not the nested one's."""
    import numpy as np
    inner = tn.sequential(layers=[tn.layers.dense(units=4, input_shape=[5])])
    x = tn.input(shape=[1, 5])
    m = tn.model(inputs=x, outputs=inner.apply(x))
    xs = np.random.default_rng(0).normal(size=(3, 1, 5)).astype(np.float32)
    k, b = inner.get_weights()
    np.testing.assert_allclose(m.predict(xs).numpy(), xs @ k.numpy() + b.numpy(), rtol=1e-6)
    m.compile(optimizer="sgd", loss="meanSquaredError")
    assert np.isfinite(m.fit(xs, np.zeros((3, 1, 4), np.float32), verbose=0).history["loss"][0])
    with pytest.raises(ValueError, match=r"predict: argument 'x' must have shape \[null,1,5\]"):
        m.predict(np.ones((3, 5), np.float32))
