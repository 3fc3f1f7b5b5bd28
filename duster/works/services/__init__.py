"""Writes to works, chapters and series: `<thing>_<action>` functions with
keyword-only arguments, each inside one transaction."""
