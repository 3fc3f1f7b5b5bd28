"""Whether the member looking at a page blocks someone: for the Block/Unblock
button on a user's page (one indexed query, members only)."""

from django import template

from duster.accounts.models import Block

register = template.Library()


@register.simple_tag(takes_context=True)
def blocks_user(context, other) -> bool:
    user = context["request"].user
    if not user.is_authenticated or other is None or user.pk == other.pk:
        return False
    return Block.objects.filter(blocker=user, blocked=other).exists()
