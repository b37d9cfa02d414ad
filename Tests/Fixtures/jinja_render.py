#!/usr/bin/env python3
"""Renders a Jinja template with the real jinja2, as Hugging Face's apply_chat_template configures it, so Gander's
own engine can be checked against it. Reads {"template", "context", "chat": bool, "strict": bool} as JSON on stdin;
prints the output, or "ERROR: <message>" and exits 1."""
import json
import sys

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

request = json.load(sys.stdin)


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


options = {"extensions": [jinja2.ext.loopcontrols]}
if request.get("chat"):
    options.update(trim_blocks=True, lstrip_blocks=True)
if request.get("strict"):
    options["undefined"] = jinja2.StrictUndefined
environment = ImmutableSandboxedEnvironment(**options)
environment.filters["tojson"] = tojson
environment.globals["raise_exception"] = raise_exception
try:
    sys.stdout.write(environment.from_string(request["template"]).render(**request["context"]))
except Exception as error:  # the message is what the test compares against
    print(f"ERROR: {error}")
    sys.exit(1)
