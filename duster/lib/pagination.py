from django.core.paginator import Page, Paginator

PER_PAGE = 20


def paginate(request, items, per_page: int = PER_PAGE) -> Page:
    """The page named by ?page=N; a bad or too-large N gives the nearest page."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))
