"""{% member_part "template" %}: a part of a page that is a member's own (their
name, their forms, their comments), rendered in place like an include.

While a shell for every member is built (duster.lib.memberpages), the part is
left out and marked instead, and rendered per request with the page view's
context (what the view passed and the context processors give) and the real
request: a part may use only those, not variables of an enclosing loop or
`with`."""

from django import template

from duster.lib.memberpages import RECORDER

register = template.Library()


class MemberPartNode(template.Node):
    def __init__(self, name: template.base.FilterExpression) -> None:
        self.name = name

    def render(self, context) -> str:
        name = self.name.resolve(context)
        recorder = context.get(RECORDER)
        if recorder is not None:
            return recorder.mark(name)
        part = context.template.engine.get_template(name)
        with context.push():
            return part.render(context)


@register.tag
def member_part(parser, token) -> MemberPartNode:
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError('{% member_part "template" %} takes one name')
    return MemberPartNode(parser.compile_filter(bits[1]))
