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
