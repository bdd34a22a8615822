"""The job ``dc_schemas.dc_metadata``: ``dc:<section>:<key>`` fields and ``format``."""
import json
import math

from ...db import database, lock_rows
from ...dcfiles import open_dc_file
from ...jobs import forced
from ...models import Resource, utcnow
from ...revisions import mark_processed


def json_value(value):
    """``value`` as plain JSON (numpy types converted), or None if it is not encodable."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return None
    return value


def dc_fields(path):
    """All ``dc:<section>:<key>`` values of the file that dclab knows and JSON can hold."""
    # dclab is imported here, not at module level: it takes seconds to import and
    # the CLI and the web server should start without it.
    import dclab
    fields = {}
    with dclab.new_dataset(path, enable_basins=False) as ds:
        for section in dclab.dfn.CFG_METADATA:
            if section not in ds.config:
                continue
            for key in dclab.dfn.config_keys[section]:
                if key in ds.config[section]:
                    value = json_value(ds.config[section][key])
                    if value is not None:
                        fields[f"dc:{section}:{key}"] = value
        if "dc:experiment:event count" not in fields:
            fields["dc:experiment:event count"] = len(ds)
    return fields


def file_format(path):
    """``RT-FDC`` for files with fluorescence data, else ``RT-DC``."""
    from dclab.rtdc_dataset.check import IntegrityChecker
    with IntegrityChecker(path) as ic:
        return "RT-FDC" if ic.has_fluorescence else "RT-DC"


def ensure_dc_metadata(resource_id):
    """Store the file's configuration as ``dc:`` fields and its ``format``."""
    resource = Resource.get_by_id(resource_id)
    if resource.format and not forced():
        return
    with open_dc_file(resource_id) as path:
        fields, fmt = dc_fields(path), file_format(path)
    with database.atomic():
        fresh = lock_rows(Resource.select().where(Resource.id == resource_id))[0]
        extras = {k: v for k, v in (fresh.extras or {}).items() if not k.startswith("dc:")}
        extras.update(fields)
        fresh.extras, fresh.format, fresh.last_modified = extras, fmt, utcnow()
        fresh.save()
        mark_processed(fresh.dataset_id)
