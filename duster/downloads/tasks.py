"""Background work for downloads: building one file."""

from django.tasks import task

from duster.downloads import services


@task
def download_build(download_id: int) -> str:
    """Build the file a DownloadFile row claims; its final state."""
    return services.download_build(download_id)
