import os
from typing import BinaryIO, cast

from django.core.mail.backends.filebased import EmailBackend


class ReadableFileBackend(EmailBackend):
    """Mail as files under var/mail for a laptop archive, written as a person
    reads them: transfer encodings would break a long confirmation link across
    lines ("=" soft breaks), so the plain-text body is written as it is.

    Readable by a person, not by everyone: the links in them log in, confirm
    and reset passwords, so the folder and the files are the owner's only,
    whatever the process's umask."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if os.stat(self.file_path).st_mode & 0o077:
            os.chmod(self.file_path, 0o700)

    def open(self):
        if self.stream is not None:
            return False
        descriptor = os.open(
            self._get_filename(), os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600
        )
        os.fchmod(descriptor, 0o600)  # an older file of the same name
        self.stream = os.fdopen(descriptor, "ab")
        return True

    def write_message(self, message):
        headers = message.message()
        lines = [f"{name}: {headers[name]}" for name in ("Subject", "From", "To", "Date")]
        text = "\n".join(lines) + f"\n\n{message.body}\n" + "-" * 79 + "\n"
        # open() made the stream binary; the parent class declares a text one.
        cast(BinaryIO, self.stream).write(text.encode("utf-8"))
