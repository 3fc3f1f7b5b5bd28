"""Background work for tags: re-filtering the works a wrangling change touched."""

from django.tasks import task

from duster.tags import filtering


@task
def refilter_run(job_id: int) -> None:
    """Run a RefilterJob to its end, from where it stopped."""
    filtering.refilter_job_run(job_id=job_id)


@task
def refilter_resume_all() -> None:
    """Finish every job a killed worker left unfinished."""
    filtering.refilter_resume()
