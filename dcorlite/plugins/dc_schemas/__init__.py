"""DCOR's schema actions: licenses, supplementary metadata, file suffixes."""
from ... import hookimpl, schemas, validation
from ...actions import Action
from ...dcfiles import is_dc_resource
from ...jobs import Job
from . import metadata


def license_list(context, data):
    """The license register (Creative Commons, or the clinic set)."""
    return schemas.licenses()


def resource_schema_supplements(context, data):
    """The supplementary resource schema (``sp:<section>:<key>`` items)."""
    return schemas.supplements()


def supported_resource_suffixes(context, data):
    """File suffixes a resource may have."""
    return list(validation.RESOURCE_SUFFIXES)


@hookimpl
def register_actions(app):
    """``license_list``, ``resource_schema_supplements``, ``supported_resource_suffixes``."""
    return [
        Action("license_list", license_list, get=True),
        Action("resource_schema_supplements", resource_schema_supplements, get=True),
        Action("supported_resource_suffixes", supported_resource_suffixes, get=True),
    ]


@hookimpl
def register_jobs(app):
    """``dc_schemas.dc_metadata``: ``dc:`` fields and ``format`` of DC resources."""
    return [Job("dc_schemas.dc_metadata", metadata.ensure_dc_metadata, wants=is_dc_resource)]
