"""The Content-Security-Policy: images from the archive only, plus the outside
hosts the admin allows, read without a query per request."""

import pytest
from django.http import HttpResponse
from django.middleware.csp import ContentSecurityPolicyMiddleware
from django.test import RequestFactory
from django.utils.csp import CSP

from duster.images import policy as policy_module
from duster.images.middleware import ImagesMiddleware
from duster.images.models import ImageHostPolicy
from duster.images.services import image_hosts_set, image_upload
from duster.images.tests.helpers import png_bytes, upload

pytestmark = pytest.mark.django_db

PAGE = "/account/login/"
CHANGE = "/admin/images/imagehostpolicy/1/change/"


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def test_by_default_images_come_from_the_archive_only(client):
    policy = directives(client.get(PAGE))
    assert policy["img-src"] == ["'self'", "data:"]
    assert not any(value.startswith("https") for values in policy.values() for value in values)
    assert not any("*" in value for value in policy["img-src"])


def test_admin_allows_a_host_through_the_change_form_and_the_csp_follows(admin_client, client):
    form = admin_client.get(CHANGE)
    assert form.status_code == 200
    assert 'name="allowed_hosts"' in form.content.decode()

    response = admin_client.post(
        CHANGE, {"allowed_hosts": "i.imgur.com\nhttps://Media.Example.org/\n*.cdn.example.net"}
    )
    assert response.status_code == 302
    assert ImageHostPolicy.objects.get().hosts() == [
        "i.imgur.com",
        "media.example.org",
        "*.cdn.example.net",
    ]

    policy = directives(client.get(PAGE))
    assert policy["img-src"] == [
        "'self'",
        "data:",
        "https://i.imgur.com",
        "https://media.example.org",
        "https://*.cdn.example.net",
    ]
    # Nothing else loosens.
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'"
    assert policy["object-src"] == ["'none'"]


def test_admin_clearing_the_hosts_takes_them_out_again(admin_client, client):
    admin_client.post(CHANGE, {"allowed_hosts": "i.imgur.com"})
    assert "https://i.imgur.com" in directives(client.get(PAGE))["img-src"]
    admin_client.post(CHANGE, {"allowed_hosts": ""})
    assert directives(client.get(PAGE))["img-src"] == ["'self'", "data:"]


def test_admin_form_refuses_a_bad_host_with_its_reason(admin_client, client):
    response = admin_client.post(CHANGE, {"allowed_hosts": "i.imgur.com; script-src *"})
    assert response.status_code == 200
    assert "is not a host name" in response.content.decode()
    assert ImageHostPolicy.objects.get().hosts() == []
    assert directives(client.get(PAGE))["img-src"] == ["'self'", "data:"]


def test_admin_lists_the_policy_and_the_images(admin_client, admin_user):
    image = image_upload(uploader=admin_user, upload=upload(png_bytes(), "banner.png"))
    response = admin_client.get("/admin/images/imagehostpolicy/")
    assert response.status_code == 200
    assert "No outside image hosts" in response.content.decode()
    response = admin_client.get("/admin/images/image/")
    assert response.status_code == 200
    assert image.filename in response.content.decode()
    response = admin_client.get(f"/admin/images/image/{image.pk}/change/")
    assert response.status_code == 200
    assert image.get_absolute_url() in response.content.decode()
    response = admin_client.get("/admin/images/image/?q=admin")
    assert image.filename in response.content.decode()


def test_policy_row_cannot_be_added_twice_or_deleted(admin_client):
    assert admin_client.get("/admin/images/imagehostpolicy/add/").status_code == 403
    assert admin_client.get(f"{CHANGE[: -len('change/')]}delete/").status_code == 403


def test_pages_make_no_query_for_the_policy_once_it_is_read(client, django_assert_num_queries):
    image_hosts_set(hosts="i.imgur.com")
    client.get(PAGE)
    with django_assert_num_queries(0):
        # A guest's redirect to the login page needs no query of its own.
        response = client.get("/images/")
    assert response.status_code == 302
    assert "https://i.imgur.com" in directives(response)["img-src"]


def test_other_processes_see_a_change_within_the_refresh_time(client, settings, monkeypatch):
    settings.IMAGE_HOSTS_REFRESH_SECONDS = 10
    now = [1000.0]
    monkeypatch.setattr(policy_module.time, "monotonic", lambda: now[0])
    client.get(PAGE)
    # As another process would: the row and the shared cache change, not this process's copy.
    ImageHostPolicy.objects.update(allowed_hosts="i.imgur.com")
    policy_module.cache.delete(policy_module.CACHE_KEY)
    now[0] += 9
    assert "https://i.imgur.com" not in directives(client.get(PAGE))["img-src"]
    now[0] += 2
    assert "https://i.imgur.com" in directives(client.get(PAGE))["img-src"]


def test_hosts_are_checked_again_before_they_reach_the_header(client):
    # A row written around the model's checks (raw SQL, an old backup) still
    # can't put anything but host names into the header.
    ImageHostPolicy.objects.update(allowed_hosts="i.imgur.com\n'unsafe-inline'\n*;script-src")
    policy_module.forget_policy()
    assert directives(client.get(PAGE))["img-src"] == ["'self'", "data:", "https://i.imgur.com"]


def test_nonce_and_report_only_policy_keep_working(settings):
    settings.SECURE_CSP_REPORT_ONLY = {"img-src": [CSP.SELF], "report-uri": "/csp-reports"}
    image_hosts_set(hosts="i.imgur.com")

    def view(request):
        return HttpResponse(f'<script nonce="{request._csp_nonce}"></script>')

    stack = ContentSecurityPolicyMiddleware(ImagesMiddleware(view))
    response = stack(RequestFactory().get("/"))
    assert isinstance(response, HttpResponse)
    nonce = response.content.decode().split('"')[1]
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    assert "img-src 'self' data: https://i.imgur.com" in response["Content-Security-Policy"]
    report_only = response["Content-Security-Policy-Report-Only"]
    assert "img-src 'self' https://i.imgur.com" in report_only


def test_a_view_that_chose_its_own_policy_keeps_it():
    image_hosts_set(hosts="i.imgur.com")

    def view(request):
        response = HttpResponse("")
        # As @csp_override does (a private attribute, set deliberately).
        response._csp_config = {"default-src": [CSP.NONE]}  # type: ignore[attr-defined]
        return response

    stack = ContentSecurityPolicyMiddleware(ImagesMiddleware(view))
    response = stack(RequestFactory().get("/"))
    assert isinstance(response, HttpResponse)
    assert response["Content-Security-Policy"] == "default-src 'none'"
