"""One validator vocabulary: every setting of every model and every field of
every data class refuses a bad value with an error that names it, and numbers
may be numpy scalars."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pytest

import credscore as cs
from credscore.errors import InvalidCaseError, InvalidSettingError
from credscore.models import available_models, get_model

MODEL_CLASSES = sorted(
    {type(get_model(name)) for name in available_models()} | {cs.CorroborationModel},
    key=lambda c: c.__name__,
)


def _settings(cls: type) -> list[attrs.Attribute[Any]]:
    return [a for a in attrs.fields(cls) if a.init and not a.name.startswith("_")]


def _invalid(a: attrs.Attribute[Any]) -> list[Any]:
    v = a.validator
    return list(v.invalid()) if hasattr(v, "invalid") else [object()]


SETTINGS = [
    pytest.param(cls, a, id=f"{cls.__name__}.{a.name}")
    for cls in MODEL_CLASSES
    for a in _settings(cls)
]


@pytest.mark.parametrize(("cls", "setting"), SETTINGS)
def test_every_setting_is_checked(cls: type, setting: attrs.Attribute[Any]) -> None:
    """Every setting has a validator, and each value it refuses gives an
    InvalidSettingError (or, for reliabilities, InvalidCaseError) that starts
    with the setting's name."""
    assert setting.validator is not None, f"{cls.__name__}.{setting.name} is not validated"
    for bad in _invalid(setting):
        with pytest.raises((InvalidSettingError, InvalidCaseError, TypeError)) as info:
            cls(**{setting.name: bad})
        assert str(info.value).startswith(f"{setting.name}"), str(info.value)
        assert isinstance(info.value, (ValueError, TypeError))


NUMBER_SETTINGS = [
    p
    for p in SETTINGS
    if isinstance(p.values[1].default, (int, float)) and not isinstance(p.values[1].default, bool)
]


@pytest.mark.parametrize(("cls", "setting"), NUMBER_SETTINGS)
def test_numpy_scalars_are_numbers(cls: type, setting: attrs.Attribute[Any]) -> None:
    """A numpy scalar is accepted wherever a Python number is, and stored as one."""
    default = setting.default
    value = np.int64(default) if isinstance(default, int) else np.float32(default)
    model = cls(**{setting.name: value})
    stored = getattr(model, setting.name)
    assert type(stored) in (int, float)
    assert stored == pytest.approx(float(value))


def test_one_message_format() -> None:
    """The same mistake reads the same in a case model and in a table model."""
    msgs = []
    for make in (lambda: cs.CorroborationModel(prior=1.5), lambda: get_model("accu", eps=1.5)):
        with pytest.raises(InvalidSettingError) as info:
            make()
        msgs.append(str(info.value).split(": ", 1)[1])
    assert msgs == ["must lie in (0, 1), got 1.5", "must lie in (0, 0.5), got 1.5"]


# -- data classes -----------------------------------------------------------------

GOOD: dict[type, dict[str, Any]] = {
    cs.Source: {"id": "s"},
    cs.Claim: {"id": "c"},
    cs.Report: {"source": "s", "claim": "c", "stance": "confirms"},
    cs.Group: {"id": "us/gov", "dependence": 0.5},
    cs.Link: {"kind": "depends", "source": "a", "target": "b"},
    cs.Case: {
        "sources": [cs.Source("s")],
        "claims": [cs.Claim("c")],
        "reports": [cs.Report("s", "c", "confirms")],
    },
}
# What each field is called in messages (the case file's own names).
SHOWN = {"source": ("source", "from"), "target": ("to",)}
BAD: list[Any] = [object(), 7, True, "", float("nan"), 10**5000]

FIELDS = [
    pytest.param(cls, a.name, id=f"{cls.__name__}.{a.name}")
    for cls in GOOD
    for a in attrs.fields(cls)
]


def _accepts(cls: type, name: str, value: Any) -> bool:
    try:
        cls(**{**GOOD[cls], name: value})
    except InvalidCaseError:
        return False
    return True


@pytest.mark.parametrize(("cls", "name"), FIELDS)
def test_every_field_names_itself(cls: type, name: str) -> None:
    """Each field refuses at least one of a few bad values, and every refusal
    is an InvalidCaseError whose message names the field."""
    assert _accepts(cls, name, GOOD[cls].get(name, attrs.fields_dict(cls)[name].default))
    refused = 0
    for bad in BAD:
        try:
            cls(**{**GOOD[cls], name: bad})
        except InvalidCaseError as exc:
            refused += 1
            names = SHOWN.get(name, (name,))
            assert any(n in str(exc) for n in names), str(exc)
        except Exception as exc:  # pragma: no cover - the failure this test is for
            pytest.fail(f"{cls.__name__}({name}={bad!r}) raised {type(exc).__name__}: {exc}")
    assert refused, f"{cls.__name__}.{name} accepted every bad value"


@pytest.mark.parametrize(
    ("cls", "name", "value"),
    [
        (cs.Source, "reliability", np.float32(0.3)),
        (cs.Claim, "prior", np.float64(0.2)),
        (cs.Report, "weight", np.float32(0.5)),
        (cs.Group, "dependence", np.float64(0.4)),
    ],
)
def test_data_classes_take_numpy_numbers(cls: type, name: str, value: Any) -> None:
    """numpy scalars are numbers in a case too, stored as Python floats."""
    obj = cls(**{**GOOD[cls], name: value})
    assert type(getattr(obj, name)) is float
