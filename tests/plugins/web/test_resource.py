"""The resource page (DC info, supplements, logs, ids) and the plot data endpoint."""
import dclab
import numpy as np
import pytest

from dcorlite.jobs.queue import drain
from tests.plugins.web.conftest import PASSWORD, login

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def processed(app, site):
    """The site with every job done."""
    drain(app)
    return site


def _url(ds, suffix=""):
    return f"/dataset/{ds.name}/resource/{ds.resources[0].id}{suffix}"


def test_resource_page(client, processed, rtdc_path):
    ds = processed["public"]
    res = ds.resources[0]
    html = client.get(_url(ds)).get_data(as_text=True)
    assert f"<h1>{res.name}</h1>" in html
    assert f'href="{res.id}' not in html  # links are absolute paths
    assert f"/dataset/{ds.id}/resource/{res.id}/download/{res.name}" in html
    assert f"/dataset/{ds.id}/resource/{res.id}/condensed.rtdc" in html
    assert f"/dataset/{ds.id}/resource/{res.id}/preview.jpg" in html
    assert f'<code id="resource-id">{res.id}</code>' in html
    assert '<code id="dcor-host">http://localhost</code>' in html
    assert res.sha256 in html
    # DC info: dclab's labels and units, by section
    with dclab.new_dataset(rtdc_path) as rtdc:
        flow_rate = rtdc.config["setup"]["flow rate"]
        logs = list(rtdc.logs)
    assert "<caption>Setup</caption>" in html and "<caption>Imaging</caption>" in html
    assert (f'<th scope="row" title="dc:setup:flow rate">Flow rate in channel</th>'
            f'<td>{flow_rate} <span class="unit">µL/s</span></td>') in html
    assert 'title="dc:imaging:pixel size">Pixel size</th>' in html
    for name in logs:
        assert f"<summary>{name} " in html
    assert 'id="plot-app"' in html and "plotly.min.js?v=" in html


def test_the_preview_image_has_its_size_so_nothing_moves_when_it_loads(client, processed):
    import io
    from PIL import Image
    ds = processed["public"]
    html = client.get(_url(ds)).get_data(as_text=True)
    image = Image.open(io.BytesIO(client.get(_url(ds, "/preview.jpg")).data))
    assert f'width="{image.width}" height="{image.height}"' in html


def test_supplementary_metadata_on_the_page(client, api, make_user, make_circle, make_dataset,
                                            make_resource, rtdc_path):
    owner = make_user("supplier", password=PASSWORD)
    ds = make_dataset(owner, make_circle(owner), active=False)
    res = make_resource(owner, ds, rtdc_path)
    status, _ = api("resource_patch", owner, id=res.id, **{
        "sp:general:sample type": "cell line", "sp:chip:channel width": 20.0})
    assert status == 200
    login(client, owner)
    html = client.get(f"/dataset/{ds.id}/resource/{res.id}").get_data(as_text=True)
    assert "Supplementary metadata" in html and "<caption>General options</caption>" in html
    assert 'title="sp:general:sample type">Sample type</th><td>cell line</td>' in html
    assert 'Channel width</th><td>20.0 <span class="unit">µm</span>' in html


def test_resource_page_of_private_data_is_not_found_for_others(client, site):
    ds = site["private"]
    assert client.get(_url(ds)).status_code == 404
    assert client.get(_url(ds, "/plot.json")).status_code == 404
    login(client, site["outsider"])
    assert client.get(_url(ds)).status_code == 404
    assert client.get(_url(ds, "/plot.json?x=deform&y=area_um")).status_code == 404
    other = site["public"].resources[0].id
    assert client.get(f"/dataset/{ds.name}/resource/{other}").status_code == 404


def test_plot_feature_list_and_values(client, processed, rtdc_path):
    ds = processed["private"]
    login(client, processed["member"])
    listing = client.get(_url(ds, "/plot.json")).get_json()
    assert listing["features"]["deform"] == "Deformation"
    assert listing["features"]["area_um"] == "Area [µm²]"
    assert "volume" in listing["features"]  # computed by dclab into the condensed copy
    data = client.get(_url(ds, "/plot.json?x=area_um&y=deform")).get_json()
    with dclab.new_dataset(rtdc_path) as rtdc:
        area, deform = rtdc["area_um"][:], rtdc["deform"][:]
    keep = np.isfinite(area) & np.isfinite(deform)
    assert data["total"] == len(area) and data["count"] == int(keep.sum())
    assert np.allclose(data["features"]["area_um"]["values"], area[keep], rtol=1e-5)
    assert np.allclose(data["features"]["deform"]["values"], deform[keep], rtol=1e-5)
    assert data["features"]["deform"]["label"] == "Deformation"
    assert data["features"]["deform"]["log"] is False


def test_plot_downsampling_is_deterministic(client, processed):
    ds = processed["public"]
    first = client.get(_url(ds, "/plot.json?x=area_um&y=deform&max=3")).get_json()
    again = client.get(_url(ds, "/plot.json?x=area_um&y=deform&max=3")).get_json()
    other_pair = client.get(_url(ds, "/plot.json?x=area_um&y=bright_avg&max=3")).get_json()
    assert first["count"] <= 3 and first == again
    assert other_pair["features"]["area_um"] == first["features"]["area_um"]


def test_plot_rejects_unknown_features_and_bad_max(client, processed):
    ds = processed["public"]
    assert client.get(_url(ds, "/plot.json?x=image")).status_code == 400
    assert client.get(_url(ds, "/plot.json?x=nonsense")).get_json()["error"] == \
        "Unknown feature: nonsense"
    assert client.get(_url(ds, "/plot.json?x=deform&max=lots")).status_code == 400


def test_plot_of_a_text_file_is_not_found(client, site, make_resource):
    res = make_resource(site["owner"], site["draft"], b"x", name="notes.txt")
    login(client, site["owner"])
    url = f"/dataset/{site['draft'].id}/resource/{res.id}"
    assert client.get(url + "/plot.json").status_code == 404
    html = client.get(url).get_data(as_text=True)
    assert "notes.txt" in html and 'id="plot-app"' not in html
