"""{% subscribe_button work=… / series=… / creator=… [subscribed=…] %}: a member's
Subscribe or Unsubscribe button (one query unless told; nothing for guests, whose pages are cached
and shared, nor on a member's own work, series or page).
{% inbox_unread as n %}: a member's unread notifications, for the header
(from the cache; one small count when it does not hold it)."""

from django import template
from django.urls import reverse

from duster.community.selectors.inbox import UNREAD_SHOWN_MAX, is_subscribed, unread_count

register = template.Library()


@register.inclusion_tag("community/_subscribe_button.html", takes_context=True)
def subscribe_button(
    context, *, work=None, series=None, creator=None, subscribed: bool | None = None
) -> dict:
    """`subscribed`: whether the member is, when the page knows it already
    (a work page's footer: duster.community.selectors.member); else a query."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    if work is not None:
        if work.is_creator(user) or work.is_draft:
            return {"show": False}
        name, what, args = f"“{work.title}”", "work", [work.pk]
        news = "new chapters"
    elif series is not None:
        if series.is_creator(user):
            return {"show": False}
        name, what, args = f"the series “{series.title}”", "series", [series.pk]
        news = "new parts"
    else:
        if creator is None or creator.pk == user.pk:
            return {"show": False}
        name, what, args = creator.username, "user", [creator.username]
        news = "new works"
    if subscribed is None or subscribed == "":
        subscribed = is_subscribed(user, work=work, series=series, creator=creator)
    view = f"{what}_{'unsubscribe' if subscribed else 'subscribe'}"
    return {
        "show": True,
        "subscribed": subscribed,
        "action": reverse(view, args=args),
        "name": name,
        "news": news,
        "next": request.get_full_path(),
    }


@register.simple_tag(takes_context=True)
def inbox_unread(context) -> str:
    """The unread count as the header shows it: "" for none, "100+" beyond."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    count = unread_count(user)
    if not count:
        return ""
    return f"{UNREAD_SHOWN_MAX}+" if count > UNREAD_SHOWN_MAX else str(count)
