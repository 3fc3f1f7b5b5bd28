import re

from duster.images.policy import current_policy
from duster.images.views import image_file

# Kept in step with the "image_file" pattern in duster/images/urls.py.
IMAGE_PATH = re.compile(r"/images/(?P<name>[A-Za-z0-9_-]{16,40})\.(?P<extension>png|jpg|gif|webp)")


class ImagesMiddleware:
    """Place right after django.middleware.csp.ContentSecurityPolicyMiddleware.

    1. Serves /images/<name>.<ext> itself, as WhiteNoise serves static files:
       before sessions, authentication or CSRF, so an image costs no session
       lookup, sets no cookie and varies on none, and any cache may keep it.
    2. Adds the outside image hosts the admin allows to the CSP's img-src: it
       sets the policy on the response as Django's @csp_override does, and the
       CSP middleware writes the header from it (with its nonce). A view that
       chose its own policy with @csp_override keeps it. With no hosts allowed
       (the default) SECURE_CSP applies as written.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        match = IMAGE_PATH.fullmatch(request.path_info)
        if match:
            return image_file(request, **match.groupdict())
        response = self.get_response(request)
        policy = current_policy()
        if policy.csp is not None and not hasattr(response, "_csp_config"):
            response._csp_config = policy.csp
        if policy.csp_report_only is not None and not hasattr(response, "_csp_ro_config"):
            response._csp_ro_config = policy.csp_report_only
        return response
