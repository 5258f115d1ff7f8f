"""fconv.wisdom_export / wisdom_import / wisdom_forget (fconv_wisdom_*): a MEASURE plan's wisdom
through a str and a file, forgotten and imported back, and the errors."""

import pytest

import fconv


def measure_plan():
    fconv.Plan((96,), (7,), "float64", method="fft", backend="cpu", measure=True).close()


def test_string_and_file_round_trip(tmp_path):
    measure_plan()
    w = fconv.wisdom_export()
    assert w.startswith("fconv-wisdom") and "fftw_wisdom" in w
    fconv.wisdom_forget()
    empty = fconv.wisdom_export()
    assert len(empty) < len(w)  # the MEASURE plan's entries are gone
    fconv.wisdom_import(w)
    assert sorted(fconv.wisdom_export().splitlines()) == sorted(w.splitlines())
    f = tmp_path / "wisdom.txt"
    fconv.wisdom_export(f)
    fconv.wisdom_forget()
    fconv.wisdom_import(path=f)
    assert sorted(fconv.wisdom_export().splitlines()) == sorted(w.splitlines())
    assert f.read_text().startswith("fconv-wisdom")


def test_errors(tmp_path):
    with pytest.raises(fconv.InvalidArgumentError):
        fconv.wisdom_import("not wisdom")
    with pytest.raises(fconv.InvalidArgumentError):
        fconv.wisdom_import(path=tmp_path / "missing" / "w")
    with pytest.raises(fconv.InvalidArgumentError):
        fconv.wisdom_export(tmp_path / "missing" / "w")
    with pytest.raises(TypeError):
        fconv.wisdom_import()
    with pytest.raises(TypeError):
        fconv.wisdom_import("x", path="y")
