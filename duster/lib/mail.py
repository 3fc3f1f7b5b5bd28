from django.core.mail.backends.filebased import EmailBackend


class ReadableFileBackend(EmailBackend):
    """Mail as files under var/mail for a laptop archive, written as a person
    reads them: transfer encodings would break a long confirmation link across
    lines ("=" soft breaks), so the plain-text body is written as it is."""

    def write_message(self, message):
        headers = message.message()
        lines = [f"{name}: {headers[name]}" for name in ("Subject", "From", "To", "Date")]
        text = "\n".join(lines) + f"\n\n{message.body}\n" + "-" * 79 + "\n"
        self.stream.write(text.encode("utf-8"))
