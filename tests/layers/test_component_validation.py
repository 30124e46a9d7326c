"""Initializers, regularizers, constraints and activation getters: every class refuses bad
arguments (TypeError for a wrong type, ValueError for a bad value, the message naming the
class and the argument), from_config refuses what the constructor refuses plus unknown
keys, the getters refuse malformed {'class_name', 'config'} dicts as TF.js's
deserializeKerasObject does, and every class round-trips through its config."""
import json
import math

import numpy as np
import pytest

from treino import activations as A
from treino import constraints as C
from treino import initializers as I
from treino import regularizers as R

NAN, INF = math.nan, math.inf
INITIALIZERS = [I.Zeros, I.Ones, I.Constant, I.RandomUniform, I.RandomNormal, I.TruncatedNormal,
                I.VarianceScaling, I.GlorotUniform, I.GlorotNormal, I.HeUniform, I.HeNormal,
                I.LeCunUniform, I.LeCunNormal, I.Orthogonal, I.Identity]
CONSTRAINTS = [C.MaxNorm, C.MinMaxNorm, C.NonNeg, C.UnitNorm]

# (class, arguments, error, message pattern)
BAD = [
    (I.Constant, {"value": NAN}, ValueError,
     r"^Constant: argument 'value' must be a finite number, received nan$"),
    (I.Constant, {"value": True}, TypeError, r"^Constant: argument 'value'.*of type bool"),
    (I.Constant, {"value": "1"}, TypeError, r"'value'.*of type str"),
    (I.RandomUniform, {"minval": -INF}, ValueError, r"^RandomUniform: argument 'minval'"),
    (I.RandomUniform, {"minval": 1, "maxval": 0}, ValueError,
     r"^RandomUniform: argument 'maxval' must be >= 'minval' \(1\), received 0$"),
    (I.RandomUniform, {"seed": 1.0}, TypeError, r"'seed' must be an int or None.*float"),
    (I.RandomNormal, {"stddev": -0.1}, ValueError,
     r"^RandomNormal: argument 'stddev' must be a finite number >= 0, received -0.1$"),
    (I.RandomNormal, {"mean": INF}, ValueError, r"'mean'.*received inf"),
    (I.TruncatedNormal, {"stddev": NAN}, ValueError, r"^TruncatedNormal: argument 'stddev'"),
    (I.TruncatedNormal, {"seed": "7"}, TypeError, r"'seed'.*of type str"),
    (I.VarianceScaling, {"scale": 0}, ValueError, r"'scale' must be a finite number > 0"),
    (I.VarianceScaling, {"scale": True}, TypeError, r"'scale'.*of type bool"),
    (I.VarianceScaling, {"mode": "fanSideways"}, ValueError,
     r"^VarianceScaling: argument 'mode' must be one of \['fanIn', 'fanOut', 'fanAvg'\]"),
    (I.VarianceScaling, {"mode": None}, TypeError, r"'mode'"),
    (I.VarianceScaling, {"distribution": "cauchy"}, ValueError, r"'distribution'"),
    (I.GlorotUniform, {"seed": True}, TypeError, r"^GlorotUniform: argument 'seed'"),
    (I.HeNormal, {"seed": 2.5}, TypeError, r"^HeNormal: argument 'seed'"),
    (I.Orthogonal, {"gain": NAN}, ValueError, r"^Orthogonal: argument 'gain'"),
    (I.Identity, {"gain": INF}, ValueError, r"^Identity: argument 'gain'"),
    (R.L1L2, {"l1": NAN}, ValueError, r"^L1L2: argument 'l1' must be a finite number >= 0"),
    (R.L1L2, {"l2": -1}, ValueError, r"^L1L2: argument 'l2'"),
    (R.L1L2, {"l1": True}, TypeError, r"'l1'.*of type bool"),
    (R.L1L2, {"l2": "0.1"}, TypeError, r"'l2'.*of type str"),
    (C.MaxNorm, {"max_value": NAN}, ValueError,
     r"^MaxNorm: argument 'max_value' must be a finite number >= 0, received nan$"),
    (C.MaxNorm, {"max_value": -1}, ValueError, r"'max_value'"),
    (C.MaxNorm, {"max_value": True}, TypeError, r"'max_value'"),
    (C.MaxNorm, {"axis": 1.5}, TypeError,
     r"^MaxNorm: argument 'axis' must be an int or a non-empty list of distinct ints"),
    (C.MaxNorm, {"axis": []}, ValueError, r"'axis'.*received \[\]"),
    (C.UnitNorm, {"axis": [0, 0]}, ValueError, r"^UnitNorm: argument 'axis'"),
    (C.UnitNorm, {"axis": True}, TypeError, r"'axis'"),
    (C.MinMaxNorm, {"min_value": -1}, ValueError, r"^MinMaxNorm: argument 'min_value'"),
    (C.MinMaxNorm, {"min_value": 2, "max_value": 1}, ValueError, r"min_value <= max_value"),
    (C.MinMaxNorm, {"rate": INF}, ValueError, r"'rate' must be a finite number in \[0, 1\]"),
    (C.MinMaxNorm, {"axis": ["0"]}, TypeError, r"'0' is of type str"),
]


@pytest.mark.parametrize("cls,args,error,pattern", BAD,
                         ids=[f"{c.__name__}-{'-'.join(a)}" for c, a, _, _ in BAD])
def test_bad_arguments_are_refused_by_constructor_from_config_and_get(cls, args, error,
                                                                      pattern):
    with pytest.raises(error, match=pattern):
        cls(**args)
    with pytest.raises(error, match=pattern):
        cls.from_config(dict(args))
    module, kind = ((I, "initializer") if issubclass(cls, I.Initializer) else
                    (R, "regularizer") if issubclass(cls, R.Regularizer) else (C, "constraint"))
    if pattern.startswith("^"):  # get's errors start with the kind of object read
        pattern = f"^{kind}: {pattern[1:]}"
    with pytest.raises(error, match=pattern):
        module.get({"class_name": cls.class_name, "config": dict(args)})


@pytest.mark.parametrize("cls", INITIALIZERS + CONSTRAINTS + [R.L1L2], ids=lambda c: c.__name__)
def test_from_config_refuses_unknown_keys_and_non_dicts(cls):
    with pytest.raises(TypeError, match=rf"^{cls.__name__}: unknown argument 'bogus'; "
                                        r"accepted arguments: "):
        cls.from_config({"bogus": 1, **({"value": 1.0} if cls is I.Constant else {})})
    with pytest.raises(TypeError, match=rf"^{cls.__name__}.from_config: the config must be a "
                                        r"dict, received NoneType"):
        cls.from_config(None)


def test_from_config_names_a_missing_required_argument():
    with pytest.raises(TypeError, match=r"^Constant.from_config: the config lacks the "
                                        r"required argument 'value'"):
        I.Constant.from_config({})


@pytest.mark.parametrize("shape,dtype,error,pattern", [
    ([2.0, 3], "float32", TypeError, r"^Zeros: argument 'shape' .*2.0 is of type float"),
    ([-1, 3], "float32", ValueError, r"^Zeros: argument 'shape' must be a list of ints >= 0"),
    ("23", "float32", TypeError, r"'shape'.*of type str"),
    ([2, 3], "float64", ValueError, r"^Zeros: argument 'dtype' must be 'float32' or 'int32'"),
    ([2, 3], np.float32, TypeError, r"'dtype'"),
])
def test_initializer_call_checks_shape_and_dtype(shape, dtype, error, pattern):
    with pytest.raises(error, match=pattern):
        I.Zeros()(shape, dtype)


def test_shape_limits_of_orthogonal_and_identity():
    with pytest.raises(ValueError, match=r"^Orthogonal: the shape must have at least 2"):
        I.Orthogonal()([3])
    with pytest.raises(ValueError, match=r"^Identity: .*square 2-D.*\[2, 3\]"):
        I.Identity()([2, 3])


EXACTLY = r"a config dict must hold exactly 'class_name' \(or 'className'\) and 'config'"
MALFORMED = [
    ({"class_name": "X"}, ValueError, EXACTLY + r", received \{'class_name': 'X'\}"),
    ({"config": {}}, ValueError, EXACTLY),
    ({"class_name": "X", "className": "X", "config": {}}, ValueError, EXACTLY),
    ({"class_name": "X", "config": {}, "module": "keras"}, ValueError, EXACTLY),
    ({"class_name": None, "config": {}}, TypeError, r"'class_name' must be a string"),
    ({"class_name": "X", "config": None}, TypeError, r"'config' must be a dict"),
    ({"class_name": "X", "config": {1: 2}}, TypeError, r"'config' must be a dict with string"),
]


@pytest.mark.parametrize("get,kind", [(I.get, "initializer"), (R.get, "regularizer"),
                                      (C.get, "constraint"), (A.get, "activation")],
                         ids=["initializer", "regularizer", "constraint", "activation"])
@pytest.mark.parametrize("config,error,pattern", MALFORMED)
def test_getters_refuse_malformed_config_dicts(get, kind, config, error, pattern):
    with pytest.raises(error, match=rf"^{kind}: {pattern}"):
        get(config)


@pytest.mark.parametrize("get,kind,valid", [
    (I.get, "initializer", "glorotNormal"), (R.get, "regularizer", "l1l2"),
    (C.get, "constraint", "maxNorm"), (A.get, "activation", "relu")],
    ids=["initializer", "regularizer", "constraint", "activation"])
def test_getters_refuse_unknown_ids_and_classes_and_other_types(get, kind, valid):
    with pytest.raises(ValueError, match=rf"^{kind}: unknown {kind} 'bogus'; valid ids: .*{valid}"):
        get("bogus")
    with pytest.raises(ValueError, match=rf"^{kind}: unknown"):
        get({"class_name": "Bogus", "config": {}})
    with pytest.raises(TypeError, match=rf"^{kind}: expected .*received 3 \(of type int\)"):
        get(3)
    # `where` names the layer argument being read
    with pytest.raises(ValueError, match=r"^Dense: argument 'x': unknown"):
        get("bogus", "Dense: argument 'x'")


def test_activation_configs_take_no_arguments():
    assert A.get({"className": "hardSigmoid", "config": {}}).name == "hardSigmoid"
    with pytest.raises(ValueError, match=r"^activation: the activation 'elu' takes no config, "
                                         r"received \{'alpha': 1\.0\}"):
        A.get({"class_name": "elu", "config": {"alpha": 1.0}})


def test_a_preset_reads_its_own_full_config_but_refuses_another():
    """get_config of a preset (GlorotNormal) is the VarianceScaling config it stands for;
    from_config takes that, or Keras's {'seed'} alone, and refuses other values."""
    g = I.GlorotNormal(seed=3)
    assert I.GlorotNormal.from_config(g.get_config()).get_config() == g.get_config()
    assert I.GlorotNormal.from_config({"seed": 3}).get_config() == g.get_config()
    assert I.HeUniform.from_config({"mode": "fan_in", "scale": 2}).mode == "fanIn"
    with pytest.raises(ValueError, match=r"^HeUniform: argument 'mode' must be 'fanIn' "
                                         r"\(fixed for HeUniform; use VarianceScaling"):
        I.HeUniform.from_config({"mode": "fanOut"})
    with pytest.raises(ValueError, match=r"'distribution' must be 'normal'"):
        I.LeCunNormal.from_config({"distribution": "uniform"})


# One instance of every class with non-default arguments where it has any.
ROUND_TRIP = [
    I.Zeros(), I.Ones(), I.Constant(-0.5), I.RandomUniform(-2, 3, seed=1),
    I.RandomNormal(0.1, 0.2, seed=2), I.TruncatedNormal(stddev=0.3, seed=3),
    I.VarianceScaling(2.0, "fan_avg", "truncated_normal", seed=4), I.GlorotUniform(5),
    I.GlorotNormal(6), I.HeUniform(7), I.HeNormal(), I.LeCunUniform(8), I.LeCunNormal(9),
    I.Orthogonal(1.5, seed=10), I.Identity(0.5),
    C.MaxNorm(3, [0, 1]), C.MinMaxNorm(0.1, 2, -1, 0.5), C.NonNeg(), C.UnitNorm(1),
    R.L1L2(0.1, 0.0), R.L1L2(),
]


def test_every_class_has_a_round_trip_case():
    assert {type(o) for o in ROUND_TRIP} == set(INITIALIZERS + CONSTRAINTS + [R.L1L2])


@pytest.mark.parametrize("obj", ROUND_TRIP, ids=lambda o: type(o).__name__)
def test_from_config_of_get_config_round_trips(obj):
    config = obj.get_config()
    back = type(obj).from_config(json.loads(json.dumps(config)))
    assert type(back) is type(obj) and back.get_config() == config
    module = I if isinstance(obj, I.Initializer) else C if isinstance(obj, C.Constraint) else R
    again = module.get(json.loads(json.dumps(module.serialize(obj))))
    assert module.serialize(again) == module.serialize(obj)
    if isinstance(obj, I.Initializer) and getattr(obj, "seed", 0) is not None:
        np.testing.assert_array_equal(again((3, 3)), obj((3, 3)))  # the same values too


@pytest.mark.parametrize("ident", A.VALID_IDS)
def test_every_activation_id_round_trips(ident):
    act = A.get(ident)
    assert A.get(A.serialize(act)) == act
    assert A.get({"class_name": A.serialize(act), "config": {}}) == act
