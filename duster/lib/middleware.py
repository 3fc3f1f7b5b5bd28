"""Requests no page could answer sensibly get a 400 here, before any view,
session lookup or CSRF check can turn them into a 500."""

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http.multipartparser import MultiPartParserError
from django.views.defaults import bad_request


def _has_nul(query) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in query.lists())


class MalformedRequestMiddleware:
    """Place before SessionMiddleware and CsrfViewMiddleware.

    - NUL in the path or the query string: PostgreSQL refuses NUL in text, so
      any lookup made with it fails inside the database. 400.
    - A cookie holding NUL (a quoted cookie may spell it "\\000") is dropped,
      so a forged session cookie reads as no session.
    - A POST body Django can't parse (a charset other than UTF-8 on a
      urlencoded form, a broken multipart body, too many fields, too big): it
      is parsed here, and when that fails the request gets an empty form
      before the error goes on to Django's usual 400. Left alone, the CSRF
      check of the 400 page itself would read the body again, fail again, and
      the visitor would get a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST":
            try:
                request.POST  # noqa: B018  parse now, where a failure can be answered
            except (BadRequest, SuspiciousOperation, MultiPartParserError):
                request._mark_post_parse_error()
                raise
        if "\x00" in request.path_info or _has_nul(request.GET):
            return bad_request(request, BadRequest("NUL in the address"))
        if any("\x00" in value for value in request.COOKIES.values()):
            request.COOKIES = {k: v for k, v in request.COOKIES.items() if "\x00" not in v}
        return self.get_response(request)
