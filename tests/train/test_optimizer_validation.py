"""Optimizer configs and state are checked: every hyper-parameter of every optimizer
refuses a bool, a string, None, NaN, infinity and values out of its range, in the
constructor, in from_config and when assigned between steps (the old value stays);
set_weights refuses malformed entries, a bad step count, a name given twice and
non-finite slots, and then changes nothing; configs round-trip through JSON."""
import json
import math

import numpy as np
import pytest

import treino as tn
from treino import train

NAN, INF = math.nan, math.inf
# class -> valid arguments (every hyper-parameter, none at its default)
OPTIMIZERS = {
    train.SGDOptimizer: {"learning_rate": 0.1},
    train.MomentumOptimizer: {"learning_rate": 0.1, "momentum": 0.9},
    train.AdagradOptimizer: {"learning_rate": 0.1, "initial_accumulator_value": 0.2},
    train.AdadeltaOptimizer: {"learning_rate": 0.1, "rho": 0.9, "epsilon": 1e-6},
    train.AdamOptimizer: {"learning_rate": 0.1, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6},
    train.AdamaxOptimizer: {"learning_rate": 0.1, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6,
                            "decay": 0.01},
    train.RMSPropOptimizer: {"learning_rate": 0.1, "decay": 0.8, "momentum": 0.5,
                             "epsilon": 1e-6},
}
# Arguments without a default (TF.js's sgd(learningRate), momentum(learningRate, momentum)...)
REQUIRED = {train.SGDOptimizer: ["learning_rate"],
            train.MomentumOptimizer: ["learning_rate", "momentum"],
            train.AdagradOptimizer: ["learning_rate"], train.RMSPropOptimizer: ["learning_rate"]}
TYPE_BAD = [True, "0.1", None, [0.1], np.float32]
VALUE_BAD = [NAN, INF, -INF, -0.5]  # every hyper-parameter is finite and >= 0


def _above(cls, hyper):
    """Values above the range of the bounded hyper-parameters (beta = 1 divides by 0)."""
    if hyper == "decay":  # RMSProp's weighs a moving average; Adamax's decays the rate
        return [1.5] if cls is train.RMSPropOptimizer else []
    return {"rho": [1.5], "beta1": [1.0, 2.0], "beta2": [1.0]}.get(hyper, [])


def _cases():
    for cls, valid in OPTIMIZERS.items():
        for hyper in valid:
            for bad in TYPE_BAD:
                yield cls, hyper, bad, TypeError
            for bad in VALUE_BAD + _above(cls, hyper):
                yield cls, hyper, bad, ValueError


@pytest.mark.parametrize("cls,hyper,bad,error", list(_cases()),
                         ids=lambda x: getattr(x, "__name__", repr(x)))
def test_hyper_parameters_are_refused_everywhere(cls, hyper, bad, error):
    pattern = rf"^{cls.__name__}: argument '{hyper}' must be a finite number"
    with pytest.raises(error, match=pattern):
        cls(**{**OPTIMIZERS[cls], hyper: bad})
    with pytest.raises(error, match=pattern):
        cls.from_config({**OPTIMIZERS[cls], hyper: bad})
    opt = cls(**OPTIMIZERS[cls])
    with pytest.raises(error, match=pattern):
        setattr(opt, hyper, bad)
    assert getattr(opt, hyper) == OPTIMIZERS[cls][hyper]
    assert opt.get_config() == cls(**OPTIMIZERS[cls]).get_config()


def test_a_valid_assignment_changes_the_update():
    v = tn.variable(tn.tensor([1.0]))
    opt = train.MomentumOptimizer(0.1, 0.9)
    opt.momentum = 0  # an int is a number
    assert opt.momentum == 0.0 and isinstance(opt.momentum, float)
    opt.learning_rate = np.float32(0.5)
    opt.minimize(lambda: tn.sum(v))  # plain SGD step of 0.5
    assert v.array() == [0.5]


@pytest.mark.parametrize("cls,flag", [(train.MomentumOptimizer, "use_nesterov"),
                                      (train.RMSPropOptimizer, "centered")])
@pytest.mark.parametrize("bad", ["true", "false", 1, 0, None])
def test_flags_must_be_bools(cls, flag, bad):
    pattern = rf"^{cls.__name__}: argument '{flag}' must be True or False, received {bad!r}"
    with pytest.raises(TypeError, match=pattern):
        cls(**OPTIMIZERS[cls], **{flag: bad})
    with pytest.raises(TypeError, match=pattern):
        cls.from_config({**OPTIMIZERS[cls], flag: bad})


def test_use_nesterov_is_settable_and_checked_but_centered_is_fixed():
    opt = train.MomentumOptimizer(0.1, 0.9)
    opt.use_nesterov = np.bool_(True)
    assert opt.use_nesterov is True
    with pytest.raises(TypeError, match="'use_nesterov' must be True or False"):
        opt.use_nesterov = "false"
    assert opt.use_nesterov is True
    rms = train.RMSPropOptimizer(0.1, centered=True)
    with pytest.raises(AttributeError):
        rms.centered = False  # it decides the slots: fixed at construction
    assert rms.centered and rms.slot_names == ("rms", "momentum", "mg")


@pytest.mark.parametrize("cls", list(OPTIMIZERS), ids=lambda c: c.__name__)
def test_from_config_checks_the_form_of_the_config(cls):
    with pytest.raises(TypeError, match=rf"^{cls.__name__}: unknown argument 'lr'; accepted "
                                        r"arguments: learning_rate"):
        cls.from_config({**OPTIMIZERS[cls], "lr": 0.1})
    required = REQUIRED.get(cls, [])
    if required:
        listed = ", ".join(f"'{r}'" for r in required)
        with pytest.raises(TypeError, match=rf"^{cls.__name__}.from_config: the config lacks "
                                            rf"the required arguments? {listed}$"):
            cls.from_config({})
    else:  # TF.js's defaults
        assert cls.from_config({}).get_config() == cls().get_config()
    with pytest.raises(TypeError, match=rf"^{cls.__name__}.from_config: the config must be a "
                                        r"dict, received str"):
        cls.from_config("adam")


@pytest.mark.parametrize("cls", list(OPTIMIZERS), ids=lambda c: c.__name__)
def test_config_round_trips_through_json(cls):
    extra = {train.MomentumOptimizer: {"use_nesterov": True},
             train.RMSPropOptimizer: {"centered": True}}.get(cls, {})
    opt = cls(**OPTIMIZERS[cls], **extra)
    config = opt.get_config()
    back = cls.from_config(json.loads(json.dumps(config)))
    assert back.get_config() == config
    assert back.slot_names == opt.slot_names


# -- set_weights ---------------------------------------------------------------------------
def _trained_adam():
    v = tn.variable(tn.tensor([[1.0, -2.0], [0.5, 3.0]]))
    opt = train.adam(0.05)
    for _ in range(2):
        opt.minimize(lambda: tn.sum(tn.square(v)))
    return opt, v


def _state(opt):
    return opt.iterations, [(w["name"], w["tensor"].numpy()) for w in opt.get_weights()]


def _same(a, b):
    return a[0] == b[0] and len(a[1]) == len(b[1]) and all(
        n1 == n2 and np.array_equal(x1, x2) for (n1, x1), (n2, x2) in zip(a[1], b[1]))


def _bad_weight_lists(v):
    m, ok = f"{v.name}/m", np.zeros((2, 2), np.float32)
    return [
        ("negative_step", [{"name": "iter", "tensor": -1}], ValueError,
         r"^AdamOptimizer.set_weights: 'iter' must be a whole number from 0 to 2147483647, "
         r"received -1$"),
        ("fractional_step", [{"name": "iter", "tensor": 2.5}], ValueError, r"received 2.5"),
        ("nan_step", [{"name": "iter", "tensor": NAN}], ValueError, r"'iter'.*received nan"),
        ("huge_step", [{"name": "iter", "tensor": 2 ** 31}], ValueError, r"'iter'"),
        ("two_steps", [{"name": "iter", "tensor": [1, 2]}], ValueError,
         r"'iter' must hold one number \(the step count\), received shape \[2\]"),
        ("bool_step", [{"name": "iter", "tensor": True}], TypeError,
         r"'iter' must hold numbers, received bool"),
        ("str_step", [{"name": "iter", "tensor": "3"}], TypeError, r"'iter' must hold numbers"),
        ("step_twice", [{"name": "iter", "tensor": 1}, {"name": "iter", "tensor": 1}],
         ValueError, r"'iter' is given twice"),
        ("slot_twice", [{"name": m, "tensor": ok}, {"name": m, "tensor": ok}], ValueError,
         rf"'{m}' is given twice"),
        ("tuple_entry", [("iter", 3)], TypeError,
         r"entry 0 must be a dict \{'name': str, 'tensor': values\}"),
        ("extra_key", [{"name": "iter", "tensor": 3, "dtype": "int32"}], TypeError, r"entry 0"),
        ("no_tensor", [{"name": "iter"}], TypeError, r"entry 0"),
        ("name_not_str", [{"name": 3, "tensor": ok}], TypeError, r"entry 0"),
        ("unknown_slot", [{"name": f"{v.name}/q", "tensor": ok}], ValueError,
         rf"'{v.name}/q' names no variable slot of this AdamOptimizer \(slots \['m', 'v'\]\)"),
        ("unknown_variable", [{"name": "no_such_variable/m", "tensor": ok}], ValueError,
         r"names no variable slot"),
        ("wrong_shape", [{"name": m, "tensor": np.zeros(3)}], ValueError,
         rf"'{m}' has shape \[3\], the variable \[2, 2\]"),
        ("nan_slot", [{"name": m, "tensor": np.full((2, 2), NAN)}], ValueError,
         r"holds NaN or infinite values"),
        ("beyond_float32", [{"name": m, "tensor": np.full((2, 2), 1e39)}], ValueError,
         r"beyond float32's range"),
        ("str_slot", [{"name": m, "tensor": np.full((2, 2), "a")}], TypeError,
         r"must hold numbers, received <U1"),
        ("ragged_slot", [{"name": m, "tensor": [[1.0], [1.0, 2.0]]}], TypeError,
         r"must hold numbers, received list"),
        # all or nothing: the good entries before a bad one are not applied either
        ("good_then_bad", [{"name": "iter", "tensor": 9}, {"name": m, "tensor": ok + 1},
                           {"name": "iter", "tensor": 9}], ValueError, r"given twice"),
    ]


@pytest.mark.parametrize("case", [c[0] for c in _bad_weight_lists(tn.variable(tn.zeros([1])))])
def test_set_weights_refuses_bad_state_and_changes_nothing(case):
    opt, v = _trained_adam()
    _, weights, error, pattern = next(c for c in _bad_weight_lists(v) if c[0] == case)
    before = _state(opt)
    with pytest.raises(error, match=pattern):
        opt.set_weights(weights)
    assert _same(_state(opt), before)


@pytest.mark.parametrize("weights", [{"iter": 3}, None, tn.tensor([1.0]), "iter"])
def test_set_weights_needs_a_list(weights):
    opt, _ = _trained_adam()
    before = _state(opt)
    with pytest.raises(TypeError, match=r"^AdamOptimizer.set_weights: expected a list of "
                                        r"\{'name': \.\.\., 'tensor': \.\.\.\} dicts"):
        opt.set_weights(weights)
    assert _same(_state(opt), before)


def test_set_weights_takes_a_whole_step_count_of_any_numeric_dtype():
    """A file may store 'iter' as a float: a whole value is the step count."""
    opt, v = _trained_adam()
    opt.set_weights([{"name": "iter", "tensor": np.float32(15.0)}])
    assert opt.iterations == 15
    opt.set_weights([{"name": "iter", "tensor": tn.tensor([4], dtype="int32")}])
    assert opt.iterations == 4
    fresh = train.adam(0.05)
    fresh.set_weights(opt.get_weights())
    assert _same(_state(fresh), _state(opt))
