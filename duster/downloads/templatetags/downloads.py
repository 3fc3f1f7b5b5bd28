from django import template

from duster.downloads.formats import offered
from duster.downloads.views import download_url

register = template.Library()


@register.inclusion_tag("downloads/_menu.html")
def download_menu(work):
    """The work's download menu: one link per format this archive can build."""
    return {"links": [(fmt, download_url(work, fmt.extension)) for fmt in offered()]}
