"""Preview images of RT-DC files (``dcorlite.plugins.dc_view.plot``)."""
import threading

import dclab
import h5py
import numpy as np
import pytest
from PIL import Image

from dcorlite.plugins.dc_view.plot import render_preview
from tests.fixtures.data import TESTDATA

ZIP_NAMES = sorted(p.stem for p in TESTDATA.glob("*.zip"))
UNIT_PX = 120  # 1.5 in per height unit at 80 dpi


def _render(src, tmp_path, name="preview.jpg"):
    out = tmp_path / name
    render_preview(src, out)
    return out


def _open_jpeg(path):
    with Image.open(path) as image:
        assert image.format == "JPEG"
        image.load()
        return image.copy()


@pytest.mark.parametrize("name", ZIP_NAMES)
def test_preview_of_every_test_file(rtdc_files, tmp_path, name):
    out = _render(rtdc_files[name], tmp_path)
    image = _open_jpeg(out)
    width, height = image.size
    assert width == 320
    # scatter + KDE (4 units) are there for every test file
    assert height >= 4 * UNIT_PX and height % UNIT_PX == 0
    assert np.asarray(image.convert("L"), dtype=float).std() > 20
    # the temporary file was renamed, nothing else is left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preview.jpg"]


@pytest.mark.parametrize("name, units", [
    ("fmt-hdf5_fl_2018", 2 + 2 + 1 + 1 + 2),       # scatter, KDE, image, mask, traces
    ("fmt-hdf5_fl_2017", 2 + 2 + 1 + 2),           # no mask
    ("fmt-hdf5_image-bg_2020", 2 + 2 + 1 + 1),     # no traces
])
def test_height_follows_panels(rtdc_files, tmp_path, name, units):
    assert _open_jpeg(_render(rtdc_files[name], tmp_path)).size == (320, units * UNIT_PX)


def test_traces_make_a_taller_preview(rtdc_files, tmp_path):
    with_traces = _render(rtdc_files["fmt-hdf5_fl_2018"], tmp_path, "a.jpg")
    without = _render(rtdc_files["fmt-hdf5_image-bg_2020"], tmp_path, "b.jpg")
    assert _open_jpeg(with_traces).size[1] > _open_jpeg(without).size[1]


def test_nothing_plottable(tmp_path):
    src = tmp_path / "brightness.rtdc"
    with dclab.RTDCWriter(src) as writer:
        writer.store_feature("bright_avg", np.arange(5.0))
    image = _open_jpeg(_render(src, tmp_path))
    assert image.size == (320, UNIT_PX)
    # the "No preview available" text
    assert np.asarray(image.convert("L")).min() < 128


def test_basins_are_not_followed(rtdc_files, tmp_path):
    other = rtdc_files["fmt-hdf5_image-bg_2020"]
    with dclab.new_dataset(other) as ds:
        deform = ds["deform"][:]
    src = tmp_path / "with_basin.rtdc"
    with dclab.RTDCWriter(src) as writer:
        writer.store_metadata({"experiment": {"event count": len(deform)}})
        writer.store_feature("deform", deform)
        writer.store_basin(basin_name="images", basin_type="file",
                           basin_format="hdf5", basin_locs=[other])
    # the basin would bring area_um, image and mask
    assert _open_jpeg(_render(src, tmp_path)).size == (320, UNIT_PX)


def _write_text(path):
    path.write_text("this is not an HDF5 file\n")


def _write_hdf5_without_events(path):
    with h5py.File(path, "w") as h5:
        h5.attrs["experiment:event count"] = 0


@pytest.mark.parametrize("write", [_write_text, _write_hdf5_without_events])
def test_unreadable_file_raises_value_error(tmp_path, write):
    src = tmp_path / "fake.rtdc"
    write(src)
    out = tmp_path / "preview.jpg"
    with pytest.raises(ValueError, match="not a readable RT-DC file: fake.rtdc"):
        render_preview(src, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fake.rtdc"]


def test_failed_render_keeps_old_preview(tmp_path):
    src = tmp_path / "fake.rtdc"
    src.write_bytes(b"\x89HDF\r\n\x1a\n truncated")
    out = tmp_path / "preview.jpg"
    out.write_bytes(b"old preview")
    with pytest.raises(ValueError):
        render_preview(src, out)
    assert out.read_bytes() == b"old preview"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fake.rtdc", "preview.jpg"]


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        render_preview(tmp_path / "missing.rtdc", tmp_path / "preview.jpg")
    assert not (tmp_path / "preview.jpg").exists()


def test_concurrent_renders_are_identical(rtdc_files, tmp_path):
    names = ["fmt-hdf5_fl_2018", "fmt-hdf5_image-mask-blood_2021"] * 2
    expected = {name: _render(rtdc_files[name], tmp_path, f"{name}.jpg").read_bytes()
                for name in set(names)}
    start = threading.Barrier(len(names))
    errors = []

    def work(number, name):
        try:
            start.wait()
            _render(rtdc_files[name], tmp_path, f"thread{number}.jpg")
        except Exception as exc:  # re-raised in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=item) for item in enumerate(names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for number, name in enumerate(names):
        assert (tmp_path / f"thread{number}.jpg").read_bytes() == expected[name]
