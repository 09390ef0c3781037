"""Exchange with a PACS over DICOMweb (PS3.18): find and retrieve studies into a local archive
folder (QIDO-RS, WADO-RS), store reports and images (STOW-RS). See docs/dicomweb.md."""

from imaging.dicomweb.layout import checked_uid, instance_path, person_folder
from imaging.dicomweb.pull import Instance, QueryKind, Study, fetch, find_studies, list_instances
from imaging.dicomweb.push import Outgoing, Skipped, select, store
from imaging.dicomweb.server import Server, connect, failure, public_url

__all__ = [
    "Instance",
    "Outgoing",
    "QueryKind",
    "Server",
    "Skipped",
    "Study",
    "checked_uid",
    "connect",
    "failure",
    "fetch",
    "find_studies",
    "instance_path",
    "list_instances",
    "person_folder",
    "public_url",
    "select",
    "store",
]
