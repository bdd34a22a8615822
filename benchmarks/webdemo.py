"""A served dcorlite with realistic data for looking at the web UI (Lighthouse, screenshots).

A fresh instance in a temporary folder, served by ``dcorlite serve``: one circle, a
collection, seven active datasets (two private) made the DCOR-Aid way through the API
from the RT-DC test files in ``tests/data``, each processed by the server (condensed
copy, preview, metadata) before the pages are visited.
"""
import contextlib
import os
import time
import zipfile

import requests

import harness  # benchmarks/harness.py, next to this script

DATASETS = (
    ("HL60 cells at three flow rates", "fmt-hdf5_fl_2018.zip",
     "M. Keller, A. Schmidt", ["hl60", "leukemia", "fluorescence"], False,
     "Human promyelocytic leukemia cells (HL60) measured at 0.04, 0.08 and 0.12 µL/s in a "
     "20 µm channel. Cells were stained with **calcein AM**; see the fluorescence traces."),
    ("Whole blood of healthy donor 12", "fmt-hdf5_image-mask-blood_2021.zip",
     "L. Novak, M. Keller", ["blood", "donor", "rbc"], True,
     "Diluted whole blood in CellCarrier B, measured within two hours of sampling."),
    ("Polyacrylamide beads for calibration", "fmt-hdf5_image-bg_2020.zip",
     "S. Weber", ["beads", "calibration"], False,
     "Reference beads of known elasticity for the daily calibration of the setup."),
    ("Wide channel test with reservoir", "fmt-hdf5_wide-channel_2023.zip",
     "A. Schmidt", ["beads", "channel"], False,
     "Measurement in a 40 µm channel, with events recorded in the reservoir region."),
    ("Contour and mask comparison", "fmt-hdf5_mask-contour_2018.zip",
     "J. Fischer, S. Weber", ["segmentation", "hl60"], False,
     "Masks and contours of the same events, for testing segmentation algorithms."),
    ("Gated neutrophils, study 7", "fmt-hdf5_polygon_gate_2021.zip",
     "L. Novak", ["blood", "neutrophils", "study-7"], True,
     "Neutrophils selected with a polygon gate in the area/deformation plane."),
    ("Reference measurement 2025", "fmt-hdf5_reference_2025.zip",
     "M. Keller", ["reference"], False,
     "Reference file of the current data format with all basic features."),
)


class Site:
    """A running demo site: base URL, API token, and the datasets made."""

    def __init__(self, base, token, user, password):
        self.base, self.token, self.user, self.password = base, token, user, password
        self.session = requests.Session()
        self.session.headers["Authorization"] = token
        self.datasets = []

    def action(self, action, **data):
        """POST the API action ``action``; its result."""
        resp = self.session.post(f"{self.base}/api/3/action/{action}", json=data, timeout=300)
        body = resp.json()
        if not body.get("success"):
            raise RuntimeError(f"{action} answered {resp.status_code}: {body.get('error')}")
        return body["result"]

    def dataset_url(self, index=0):
        """The page of the ``index``-th dataset made."""
        return f"{self.base}/dataset/{self.datasets[index]['name']}"

    def resource_url(self, index=0):
        """The page of the first resource of the ``index``-th dataset made."""
        pkg = self.datasets[index]
        return f"{self.base}/dataset/{pkg['name']}/resource/{pkg['resources'][0]['id']}"


def _unzip(name, folder):
    with zipfile.ZipFile(os.path.join(harness.TESTDATA, name)) as archive:
        member = next(n for n in archive.namelist() if n.endswith(".rtdc"))
        return archive.extract(member, folder)


def _add_dataset(site, circle_id, collection, spec, folder):
    title, archive, authors, tags, private, notes = spec
    path = _unzip(archive, os.path.join(folder, archive[:-4]))
    urls = site.action("resource_upload_s3_urls", organization_id=circle_id,
                       file_size=os.path.getsize(path))
    with open(path, "rb") as fh:
        requests.put(urls["upload_urls"][0], data=fh, timeout=300).raise_for_status()
    pkg = site.action("package_create", title=title, authors=authors, notes=notes,
                      license_id="CC-BY-4.0", owner_org=circle_id, private=private,
                      tags=[{"name": t} for t in tags], groups=[{"id": collection}])
    site.action("package_revise", match={"id": pkg["id"]}, update__resources__extend=[
        {"id": urls["resource_id"], "name": f"{pkg['name']}.rtdc",
         "s3_available": True}])
    site.action("package_revise", match={"id": pkg["id"]}, update={"state": "active"})
    return pkg["id"]


def _wait_processed(site, dataset_ids, timeout=900):
    """Until every resource's condensed copy and preview are there."""
    deadline = time.monotonic() + timeout
    for dataset_id in dataset_ids:
        pkg = site.action("package_show", id=dataset_id)
        for res in pkg["resources"]:
            for suffix in ("condensed.rtdc", "preview.jpg"):
                url = f"{site.base}/dataset/{dataset_id}/resource/{res['id']}/{suffix}"
                while site.session.head(url, timeout=300).status_code != 200:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{url} not made after {timeout} s")
                    time.sleep(1)
        site.datasets.append(site.action("package_show", id=dataset_id))


@contextlib.contextmanager
def demo_site(workdir):
    """Serve a fresh instance with the demo data; yields a :class:`Site`."""
    with harness.served_instance(workdir, sysadmin=True) as (_instance, host, token, _circle,
                                                              _proc):
        site = Site(f"http://{host}", token, harness.USER, harness.PASSWORD)
        collection = site.action("group_create", name="blood-studies",
                                 title="Blood studies",
                                 description="Measurements of blood samples.")["id"]
        circle_id = site.action("organization_create", name="cell-mechanics",
                                title="Cell mechanics lab",
                                description="Deformability cytometry of the cell mechanics "
                                            "lab.")["id"]
        ids = [_add_dataset(site, circle_id, collection, spec, workdir) for spec in DATASETS]
        _wait_processed(site, ids)
        yield site
