"""Every h5py read opens files as dclab does, so both can hold the same file at once.

HDF5 refuses a second open of a file with other locking flags in the same
process. dclab opens with ``locking=False``; jobs and requests run in threads
of one process and open the same resource file at the same time (seen: the
privacy scan job failing three times beside the metadata job).
"""
import dclab
import h5py
import pytest

from dcorlite.dcfiles import check_no_external_links, open_readonly
from dcorlite.plugins.privacy.scan import file_texts


def test_default_h5py_locking_conflicts_with_dclab(rtdc_path):
    """The conflict this module is about is real (else the tests below prove nothing)."""
    with dclab.new_dataset(rtdc_path):
        with pytest.raises(OSError, match="locking"):
            h5py.File(rtdc_path, "r").close()


def test_readers_open_a_file_dclab_has_open(rtdc_path):
    with dclab.new_dataset(rtdc_path) as ds:
        with open_readonly(rtdc_path) as h5:
            assert h5.attrs["experiment:event count"] == len(ds)
        assert file_texts(rtdc_path)
        check_no_external_links(rtdc_path)
