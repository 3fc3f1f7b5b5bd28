import pytest
from django.template import engines

pytestmark = pytest.mark.django_db


def render(source: str, **context) -> str:
    return engines["django"].from_string("{% load outside_images %}" + source).render(context)


def test_filter_turns_outside_images_of_stored_text_into_links():
    html = render(
        "{{ body|safe|outside_images_as_links }}",
        body='<p><img src="https://t.example.net/p.gif" alt="a map"></p>',
    )
    assert html.startswith('<p><a class="outside-image" href="https://t.example.net/p.gif"')


def test_filter_does_not_make_unsafe_text_safe():
    html = render("{{ body|outside_images_as_links }}", body="<b>not trusted</b>")
    assert html == "&lt;b&gt;not trusted&lt;/b&gt;"
