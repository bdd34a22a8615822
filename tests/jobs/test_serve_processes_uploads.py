"""One ``dcorlite serve`` process does everything: API, uploads and background jobs."""
import os
import socket
import subprocess
import sys
import time

import dclab
import numpy as np
import pytest
import requests
from dcoraid.api import CKANAPI, dataset_activate, dataset_create
from dcoraid.api.dataset import resource_add
from dclab.rtdc_dataset.fmt_dcor.api import APIHandler

CLI = [sys.executable, "-c", "from dcorlite.cli import cli; cli()"]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cli(instance, *args, env):
    return subprocess.run(CLI + ["--instance", str(instance), *args], env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.fixture
def served(tmp_path):
    """A real ``dcorlite serve`` on a fresh instance, with a user, token and circle."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DCORLITE_")}
    env["DCORLITE_LOAD_ENTRY_POINTS"] = "false"
    instance = tmp_path / "instance"
    _cli(instance, "user", "add", "lab", "--email", "lab@example.org", "--password",
         "password1", env=env)
    token = _cli(instance, "token", "create", "lab", env=env)
    _cli(instance, "circle", "create", "lab-circle", "--admin", "lab", env=env)
    port = _free_port()
    proc = subprocess.Popen(CLI + ["--instance", str(instance), "serve", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                requests.get(url + "/api/3/action/status_show", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        yield url, token
    finally:
        proc.terminate()
        proc.wait(30)


def test_upload_is_processed_in_the_background(served, rtdc_path):
    url, token = served
    api = CKANAPI(url, api_key=token, ssl_verify=False)
    ds = dataset_create({"title": "served", "authors": "Lab", "license_id": "CC0-1.0",
                         "owner_org": "lab-circle", "private": True}, api=api)
    resource_add(ds["id"], rtdc_path, api=api)
    dataset_activate(ds["id"], api=api)
    rid = api.get("package_show", id=ds["id"])["resources"][0]["id"]
    deadline = time.time() + 120
    while time.time() < deadline:
        res = api.get("resource_show", id=rid)
        basins = requests.get(f"{url}/api/3/action/dcserv",
                              params={"id": rid, "query": "basins", "version": 2},
                              headers={"Authorization": token}, timeout=5).json()["result"]
        if res.get("format") and len(basins) == 2:
            break
        time.sleep(0.2)
    assert res["format"] == "RT-FDC" and res["dc:experiment:event count"] == 7
    APIHandler.api_keys.clear()
    try:
        with dclab.new_dataset(rid, host=url.split("//")[1], api_key=token,
                               use_ssl=False) as remote, dclab.new_dataset(rtdc_path) as local:
            assert np.allclose(remote["volume"], local["volume"])
            assert np.array_equal(remote["image"][3], local["image"][3])
    finally:
        APIHandler.api_keys.clear()
