"""The huey queue of one app and its one task (where the queue is: :mod:`.backends`)."""
import logging
import signal

from . import recovery, runner
from .backends import make_queue
from .scratch import clean_scratch

logger = logging.getLogger(__name__)

TASK_NAME = "dcorlite.process_resource"


def make_huey(app):
    """Create the app's huey with its one task, ``process_resource``."""
    huey = make_queue(app)

    @huey.task(name=TASK_NAME)
    def process(resource_id, site_url=None, force=False):
        # site_url: only in tasks queued by older versions; it is no longer used
        runner.process_resource(app, resource_id, force=force)

    app.extensions["dcorlite"]["huey"] = huey
    app.extensions["dcorlite"]["process_task"] = process
    return huey


def enqueue(app, resource_id, force=False):
    """Record the wanted jobs as pending and queue the resource."""
    from ..models import Resource
    resource = Resource.get_or_none(Resource.id == resource_id)
    if resource is None:
        return
    runner.mark_pending(app, resource)
    app.extensions["dcorlite"]["process_task"](resource_id, force=force)


def start_consumer(app, workers):
    """Run the queue in worker threads of this process (``dcorlite serve``).

    huey's consumer installs signal handlers; the server's own handlers are
    restored so that Ctrl+C still stops the server. The caller imports dclab
    first (:func:`dcorlite.dcfiles.import_dclab`), as ``serve`` does. Lost jobs
    are recovered now and every ``JOBS_RECOVER_SECONDS`` until the consumer stops.
    """
    clean_scratch(app)
    huey = app.extensions["dcorlite"]["huey"]
    consumer = huey.create_consumer(workers=workers, worker_type="thread",
                                    periodic=False, check_worker_health=False)
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM,
                                                    signal.SIGHUP)}
    consumer.start()
    for sig, handler in saved.items():
        signal.signal(sig, handler)
    recovery.recover(app)
    recovery.start_thread(app, consumer.stop_flag)
    return consumer


def drain(app):
    """Execute every queued task now, in this thread (tests, ``jobs run``)."""
    huey = app.extensions["dcorlite"]["huey"]
    count = 0
    while True:
        task = huey.dequeue()
        if task is None:
            return count
        huey.execute(task)
        count += 1
